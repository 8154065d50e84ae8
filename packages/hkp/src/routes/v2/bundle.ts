/**
 * The answer of every HKP v2 certificate lookup (docs/hkp.md §12, draft §7.1, §9): the served
 * keys (served-keys.ts, the bytes v1 `op=get` armors) concatenated, never armored, as
 * `application/pgp` — the unparameterised type Hockeypuck's alignment to draft -01 sends; a
 * download named after the key. Nothing servable: 404.
 */
import Koa from 'koa';
import { HttpError } from '../../errors';
import { fprHex, ServedKey } from '../served-keys';

/** The media type of a v2 certificate bundle, sent and taken (docs/hkp.md §12). */
export const BUNDLE_TYPE = 'application/pgp';

export function sendBundle(ctx: Koa.Context, keys: readonly ServedKey[], what: string): void {
  if (keys.length === 0) throw new HttpError(404, `no certificate found for ${what}`);
  const name = keys.length === 1 ? fprHex(keys[0].record) : 'certs';
  ctx.type = BUNDLE_TYPE;
  ctx.set('Content-Disposition', `attachment; filename="${name}.pgp"`);
  ctx.set('Cache-Control', 'no-cache');
  ctx.set('X-HKP-Results-Count', String(keys.length));
  ctx.body = Buffer.concat(keys.map((k) => k.bytes));
}
