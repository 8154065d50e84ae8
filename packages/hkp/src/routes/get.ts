/**
 * `GET /pks/lookup?op=get` (docs/hkp.md §4): every matching key in its served form (§5) as one
 * armored block, with or without `options=mr` (never HTML). Keys of version 5 and up are never
 * served by this legacy call. Nothing servable: 404, or 410 with the reason for the fingerprint of a
 * taken-down key (gone.ts). Cached until the store changes.
 */
import { HttpError } from '../errors';
import { LookupQuery } from '../lookup-query';
import { OpHandler } from './handler';
import { findRecords } from './find-keys';
import { goneOrNotFound } from './gone';
import { RouteEnv } from './env';
import { armoredKeys, cachedLookup, sendResponse } from './respond';
import { CachedResponse } from '../cache';

/** The answer of `op=get` (cached); HttpError 404 when nothing is servable. */
export function getAnswer(env: RouteEnv, q: LookupQuery): CachedResponse {
  return cachedLookup(env, 'get', q, () => {
    const records = findRecords(env, q.search, q.exact);
    const keys = records.filter((r) => r.version < 5).map(env.present).filter((b): b is Buffer => b !== undefined);
    if (keys.length === 0) throw goneOrNotFound(env, q.search, new HttpError(404, `no key found for ${JSON.stringify(q.search)}`));
    return armoredKeys(keys, records.length === 1 ? Buffer.from(records[0].fpr).toString('hex').toUpperCase() : 'gpgkey');
  });
}

export const getOp: OpHandler = (ctx, env, q) => sendResponse(ctx, getAnswer(env, q));
