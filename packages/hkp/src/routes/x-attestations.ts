/**
 * `POST /pks/x-attestations` (docs/hkp.md §7), quorum mode only (else 501): the stored
 * attestations with the 16-byte ids asked, for members' recovery. Request and answer have
 * hashquery's shape (hashquery-codec.ts); `application/octet-stream`.
 */
import { readBody } from '../body';
import { HttpError } from '../errors';
import { encodeHashQueryResponse, parseHashQuery } from '../hashquery-codec';
import { PathHandler } from './handler';
import { QUORUM_OFF } from './x-quorum';

export const xAttestations: PathHandler = async (ctx, env) => {
  if (!env.quorum) throw new HttpError(501, QUORUM_OFF);
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  const ids = parseHashQuery(body);
  ctx.type = 'application/octet-stream';
  ctx.body = encodeHashQueryResponse(env.quorum.attestations(ids));
};
