/**
 * `POST /vks/v1/upload` (docs/hkp.md §13, Hagrid's API page): `{"keytext": "<armored key, or
 * base64 of the binary one>"}`, stored through the /pks/add path (store-upload.ts). One key
 * stored: 200 `{"key_fpr", "status", "token"}` (status.ts); several: a JSON array of their
 * fingerprints, as Hagrid answers. Errors are `{"error": "…"}`: 400 for data that is no key or
 * a key refused (the reason), 413/408 past the body limits.
 */
import { looksArmored } from '@dkeyserv/pgp';
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { sendJson } from '../respond';
import { storeUpload } from '../store-upload';
import { readJsonObject } from './json-body';
import { keyAnswer } from './status';

/** Armored text as is, else the base64 of binary key material. */
function keyMaterial(keytext: string): Buffer {
  if (looksArmored(Buffer.from(keytext, 'utf8'))) return Buffer.from(keytext, 'utf8');
  const compact = keytext.replace(/\s+/g, '');
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new HttpError(400, 'Parsing of key data failed: keytext is neither an armored key nor base64');
  return Buffer.from(compact, 'base64');
}

export const vksUpload: PathHandler = async (ctx, env) => {
  const { keytext } = await readJsonObject(ctx, env);
  if (typeof keytext !== 'string') throw new HttpError(400, 'expected application/json data with a string "keytext"');
  const material = keyMaterial(keytext);
  const outcome = await storeUpload(env, 'application/pgp', material, ctx.ip).catch((e) => {
    if (e instanceof HttpError && e.status === 422) throw new HttpError(400, `Parsing of key data failed: ${e.message}`);
    throw e;
  });
  const stored = outcome.results.filter((r) => r.status !== 'rejected' && r.fpr);
  if (stored.length === 0) {
    const first = outcome.results.find((r) => r.status === 'rejected');
    throw new HttpError(400, first ? `key refused: ${first.reason}: ${first.message}` : 'no key found in keytext');
  }
  if (stored.length > 1) return sendJson(ctx, stored.map((r) => r.fpr!.toUpperCase()));
  const record = env.served(env.store.get(Buffer.from(stored[0].fpr!, 'hex')));
  if (!record) throw new HttpError(500, 'the stored key could not be read back');
  sendJson(ctx, keyAnswer(env, record));
};
