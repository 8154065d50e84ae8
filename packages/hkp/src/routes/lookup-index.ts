/**
 * `GET /pks/lookup?op=index`, and `op=vindex`, for now an alias of it (docs/hkp.md §4): the
 * servable keys matching `search`. With `options=mr` GnuPG's machine-readable index (mr-index.ts),
 * cached until the store changes; otherwise the HTML results page.
 */
import { mrIndex } from '../mr-index';
import * as web from '../web';
import { servableViews } from './find-keys';
import { OpHandler } from './handler';
import { sendCachedLookup, sendHtml } from './respond';

export const indexOp: OpHandler = (ctx, env, q) => {
  if (q.mr) {
    return sendCachedLookup(ctx, env, 'index', q, () => {
      const views = servableViews(env, q.search, q.exact);
      return { type: 'text/plain; charset=utf-8', headers: { 'X-HKP-Results-Count': String(views.length) }, body: Buffer.from(mrIndex(views)) };
    });
  }
  sendHtml(ctx, web.renderIndexPage(env.page, q.search ?? '', servableViews(env, q.search, q.exact)));
};
