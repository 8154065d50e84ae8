/**
 * `POST /vks/v1/request-verify` (docs/hkp.md §13): Hagrid mails a confirmation link; this
 * server verifies no e-mail, so it sends none and answers the upload's JSON (status.ts) for the
 * key the token names — its addresses are `published` already. A token naming no stored key, or
 * a malformed request: 400 `{"error": …}`.
 */
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { sendJson } from '../respond';
import { readJsonObject } from './json-body';
import { keyAnswer } from './status';

const MAX_ADDRESSES = 64;

export const vksRequestVerify: PathHandler = async (ctx, env) => {
  const { token, addresses } = await readJsonObject(ctx, env);
  if (typeof token !== 'string') throw new HttpError(400, 'expected application/json data with a string "token"');
  if (!Array.isArray(addresses) || addresses.length > MAX_ADDRESSES || !addresses.every((a) => typeof a === 'string')) {
    throw new HttpError(400, `expected "addresses": an array of at most ${MAX_ADDRESSES} e-mail addresses`);
  }
  const record = /^([0-9a-f]{40}|[0-9a-f]{64})$/i.test(token) ? env.served(env.store.get(Buffer.from(token, 'hex'))) : undefined;
  if (!record) throw new HttpError(400, 'Upload session expired or invalid token: upload the key again (this server verifies no e-mail; every address in a self-signed User ID is published)');
  sendJson(ctx, keyAnswer(env, record));
};
