/**
 * `GET /pks/v2/certs/by-identity/<identity>` (docs/hkp.md §12, draft §5.1.1, §5.1.9): every
 * served key with a User ID exactly matching the percent-encoded identity (identity.ts), as one
 * bundle, newest first; none is 404.
 */
import { PathHandler } from '../handler';
import { sendBundle } from './bundle';
import { decodeIdentifier, findByIdentity } from './identity';

export const byIdentity: PathHandler = (ctx, env, [raw]) => {
  const identity = decodeIdentifier(raw);
  sendBundle(ctx, findByIdentity(env, identity), `identity ${JSON.stringify(identity.slice(0, 128))}`);
};
