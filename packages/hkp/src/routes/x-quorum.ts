/**
 * `GET /pks/lookup?op=x-quorum&search=0x<full fingerprint>` (docs/hkp.md §4): the proof JSON of the
 * key's accepted version, for `dkeyserv verify-quorum` (docs/quorum.md §11). 501 when quorum mode
 * is off, 400 for any other search form, 404 when no version is accepted.
 */
import { HttpError } from '../errors';
import { parseSearch } from '../search-term';
import { OpHandler } from './handler';
import { sendJson } from './respond';

export const QUORUM_OFF = 'quorum mode is off: this server names no peer set';

export const xQuorumOp: OpHandler = (ctx, env, q) => {
  if (!env.quorum) throw new HttpError(501, QUORUM_OFF);
  const term = parseSearch(q.search);
  if (term.kind !== 'fpr') throw new HttpError(400, 'x-quorum takes search=0x<full fingerprint>');
  const proof = env.quorum.proof(term.value);
  if (!proof) throw new HttpError(404, `no accepted version of key ${term.value.toString('hex').toUpperCase()} (not stored, or its quorum is pending)`);
  sendJson(ctx, proof);
};
