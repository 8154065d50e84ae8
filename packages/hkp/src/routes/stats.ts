/**
 * `GET /pks/lookup?op=stats` (and `x-stats`, docs/hkp.md §11): the server's statistics
 * (stats-view.ts) as JSON with `options=mr` or `options=json`, otherwise the HTML stats page.
 */
import * as web from '../web';
import { OpHandler } from './handler';
import { sendHtml, sendJson } from './respond';

export const statsOp: OpHandler = (ctx, env, q) => {
  const view = env.stats.view();
  if (q.mr || q.options.has('json')) sendJson(ctx, view);
  else sendHtml(ctx, web.renderStatsPage(env.page, view));
};
