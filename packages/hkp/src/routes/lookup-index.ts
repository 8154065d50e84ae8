/**
 * `GET /pks/lookup?op=index` and `op=vindex` (docs/hkp.md §4): the servable keys matching
 * `search`. With `options=mr` both are GnuPG's machine-readable index (mr-index.ts; SKS's vindex
 * mr is its index mr), cached until the store changes; otherwise the HTML results page, for
 * `vindex` with a line per signature (sig-lines.ts).
 */
import { CachedResponse } from '../cache';
import { HttpError } from '../errors';
import { LookupQuery } from '../lookup-query';
import { mrIndex } from '../mr-index';
import * as web from '../web';
import { RouteEnv } from './env';
import { findRecords, servableViews } from './find-keys';
import { OpHandler } from './handler';
import { cachedLookup, sendHtml, sendResponse } from './respond';
import { verboseKeys } from './sig-lines';

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

export const vindexOp: OpHandler = (ctx, env, q) => {
  if (q.mr) return sendResponse(ctx, mrIndexAnswer(env, q));
  const records = findRecords(env, q.search, q.exact)
    .map(env.served)
    .filter((r) => r !== undefined);
  const keys = verboseKeys(env.store, records, env.served);
  if (keys.length === 0) throw new HttpError(404, `no key found for ${JSON.stringify(q.search)}`);
  sendHtml(ctx, web.renderVindexPage(env.page, q.search ?? '', keys));
};
