/**
 * The answer of every VKS lookup (docs/hkp.md §13, Hagrid's API page): the served keys
 * (served-keys.ts, the bytes v1 `op=get` serves) as one ASCII-armored block,
 * `application/pgp-keys`, a download named `<FPR>.asc`, `Cache-Control: no-cache` — v1's own
 * armored answer (respond.ts). Hagrid holds one key per address; a keyserver without e-mail
 * verification may hold several, so every match is served, newest first. None: 404, plain text.
 */
import Koa from 'koa';
import { HttpError } from '../../errors';
import { SearchTerm } from '../../search-term';
import { RouteEnv } from '../env';
import { armoredKeys, sendResponse } from '../respond';
import { fprHex, lookupRecords, servedKeys } from '../served-keys';

export function sendArmored(ctx: Koa.Context, env: RouteEnv, term: SearchTerm, what: string): void {
  const keys = servedKeys(env, lookupRecords(env, term));
  if (keys.length === 0) throw new HttpError(404, `No key found for ${what}`);
  sendResponse(ctx, armoredKeys(keys.map((k) => k.bytes), keys.length === 1 ? fprHex(keys[0].record) : 'keys'));
}

/** Hex digits of a fingerprint or key ID in a VKS path: either case, an optional `0x` (Hagrid's nginx strips it). */
export function hexIdentifier(raw: string, lengths: readonly number[], what: string): Buffer {
  const m = /^(?:0x)?([0-9a-fA-F]+)$/.exec(raw);
  if (!m || !lengths.includes(m[1].length)) throw new HttpError(400, `malformed ${what}: use ${lengths.join(' or ')} hex digits`);
  return Buffer.from(m[1], 'hex');
}
