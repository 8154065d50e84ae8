/**
 * `GET /pks/v2/certs/by-keyid/<KEYID>` (docs/hkp.md §12, draft §5.1.3): a 64-bit key ID, 16 hex
 * digits without `0x`, of a primary key or subkey; certificates of version 5 and up are never
 * returned (draft MUST NOT). Any other identifier is 404, like a key ID nobody has.
 */
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { lookupRecords, servedKeys } from '../served-keys';
import { sendBundle } from './bundle';

export const byKeyId: PathHandler = (ctx, env, [id]) => {
  if (!/^[0-9a-fA-F]{16}$/.test(id)) throw new HttpError(404, 'not a key ID: use 16 hex digits without 0x');
  const records = lookupRecords(env, { kind: 'kid64', value: Buffer.from(id, 'hex') }).filter((r) => r.version <= 4);
  sendBundle(ctx, servedKeys(env, records), `key ID ${id.toUpperCase()}`);
};
