/**
 * `POST /pks/hashquery` (docs/hkp.md §7): SKS recon recovery. The body is a list of SKS key hashes
 * (hashquery-codec.ts); the answer holds each key found in the form of the recon policy whose hash
 * was asked, with all its stored packets, so the peer recomputes that very hash. Quorum mode does
 * not filter it. A taken-down key is not stored, so it is simply not in the answer
 * (docs/operations.md §14). `Content-Type: pgp/keys`, the type SKS uses.
 */
import { readBody } from '../body';
import { encodeHashQueryResponse, parseHashQuery } from '../hashquery-codec';
import { PathHandler } from './handler';

export const hashquery: PathHandler = async (ctx, env) => {
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  const keys: Buffer[] = [];
  for (const h of parseHashQuery(body)) {
    const found = env.store.getByHash(h);
    if (found) keys.push(env.store.viewPackets(found.record, found.policy));
  }
  ctx.type = 'pgp/keys';
  ctx.body = encodeHashQueryResponse(keys);
};
