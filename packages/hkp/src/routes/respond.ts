/**
 * Writing answers: an HTML page, JSON, a finished response, armored keys, and machine answers
 * through the response cache (docs/hkp.md §10: `op=get` and every `options=mr` index, valid while
 * the store's change sequence, and in quorum mode the attestation sequence, is unchanged).
 */
import Koa from 'koa';
import { armor } from '@dkeyserv/pgp';
import { CachedResponse } from '../cache';
import { LookupQuery } from '../lookup-query';
import { RouteEnv } from './env';

export function sendHtml(ctx: Koa.Context, body: string): void {
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

export function sendJson(ctx: Koa.Context, value: unknown): void {
  ctx.type = 'application/json';
  ctx.body = JSON.stringify(value) + '\n';
}

export function sendResponse(ctx: Koa.Context, r: CachedResponse): void {
  ctx.type = r.type;
  for (const [k, v] of Object.entries(r.headers)) ctx.set(k, v);
  ctx.body = r.body;
}

/** Keys (served bytes) as one armored block, a download named `<name>.asc`. */
export function armoredKeys(keys: Buffer[], name: string): CachedResponse {
  return {
    type: 'application/pgp-keys; charset=utf-8',
    headers: { 'Content-Disposition': `attachment; filename=${name}.asc`, 'Cache-Control': 'no-cache', 'X-HKP-Results-Count': String(keys.length) },
    body: Buffer.from(armor(Buffer.concat(keys))),
  };
}

/**
 * The machine answer of `op` for this query: from the cache while the store is unchanged, else
 * computed (errors thrown by `compute` are not cached). Koa's handlers and the fast path
 * (fast-path.ts) share it, so both answer from one cache.
 */
export function cachedLookup(env: RouteEnv, op: LookupOp, q: LookupQuery, compute: () => CachedResponse): CachedResponse {
  const key = `${op}|${q.exact ? 1 : 0}|${(q.search ?? '').trim().toLowerCase()}`;
  const seq = storeSeq(env);
  let r = env.cache.get(key, seq);
  if (!r) {
    r = compute();
    env.cache.set(key, seq, r);
  }
  return r;
}

export type LookupOp = 'get' | 'index';

/** What a cached answer is valid for: the store's change sequence, and in quorum mode the attestation sequence. */
export function storeSeq(env: RouteEnv): number | string {
  return env.quorum ? `${env.store.changeSeq()}/${env.quorum.seq()}` : env.store.changeSeq();
}
