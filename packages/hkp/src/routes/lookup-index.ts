/**
 * `GET /pks/lookup?op=index`, and `op=vindex`, for now an alias of it (docs/hkp.md §4): the
 * servable keys matching `search`. With `options=mr` GnuPG's machine-readable index (mr-index.ts),
 * cached until the store changes; otherwise the HTML results page.
 */
import { CachedResponse } from '../cache';
import { LookupQuery } from '../lookup-query';
import { mrIndex } from '../mr-index';
import * as web from '../web';
import { RouteEnv } from './env';
import { servableViews } from './find-keys';
import { OpHandler } from './handler';
import { cachedLookup, sendHtml, sendResponse } from './respond';

/** The `options=mr` answer of `op=index` (cached); HttpError 404 when nothing is servable. */
export function mrIndexAnswer(env: RouteEnv, q: LookupQuery): CachedResponse {
  return cachedLookup(env, 'index', q, () => {
    const views = servableViews(env, q.search, q.exact);
    return { type: 'text/plain; charset=utf-8', headers: { 'X-HKP-Results-Count': String(views.length) }, body: Buffer.from(mrIndex(views)) };
  });
}

export const indexOp: OpHandler = (ctx, env, q) => {
  if (q.mr) return sendResponse(ctx, mrIndexAnswer(env, q));
  sendHtml(ctx, web.renderIndexPage(env.page, q.search ?? '', servableViews(env, q.search, q.exact)));
};
