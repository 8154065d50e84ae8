/**
 * Answers about taken-down keys (docs/operations.md §14, docs/hkp.md §8): a lookup by fingerprint
 * or an `hget` of a hash whose key an operator removed is 410 Gone with the takedown's one-line
 * reason, not 404. `hashquery` simply leaves such a key out (it returns the keys it has).
 */
import { takedownMessage } from '@dkeyserv/db';
import { HttpError } from '../errors';
import { parseSearch } from '../search-term';
import { RouteEnv } from './env';

/** 410 if `search` is the fingerprint of a taken-down key, else `notFound`. */
export function goneOrNotFound(env: RouteEnv, search: string | undefined, notFound: HttpError): HttpError {
  let term;
  try {
    term = parseSearch(search);
  } catch {
    return notFound;
  }
  const t = term.kind === 'fpr' ? env.store.takedown(term.value) : undefined;
  return t ? new HttpError(410, takedownMessage(t)) : notFound;
}

/** 410 if `hash` was a hash of a taken-down key, else `notFound`. */
export function goneByHash(env: RouteEnv, hash: Buffer, notFound: HttpError): HttpError {
  const t = env.store.takedownByHash(hash);
  return t ? new HttpError(410, takedownMessage(t)) : notFound;
}
