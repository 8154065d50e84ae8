/**
 * `GET /pks/v2/index/<identity>` (docs/hkp.md §12, draft §5.1.5, §7.1.1): a JSON array with one
 * object per served key matching the identity (identity.ts): `version` and lower-case
 * `fingerprint` of the key and each served subkey, `uidString` per served User ID, `creation` and
 * `expiration` in RFC 3339 UTC, algorithm and revocation. No `confidence`: this server verifies
 * no identity, it only checks self-signatures. None is 404.
 */
import { KeyStore } from '@dkeyserv/db';
import { HttpError } from '../../errors';
import { ALGO_NAMES, keyView } from '../../model';
import { PathHandler } from '../handler';
import { sendJson } from '../respond';
import { ServedKey } from '../served-keys';
import { decodeIdentifier, findByIdentity } from './identity';

/** Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`. */
export function rfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const algorithm = (code: number, bits: number) => ({ code, name: ALGO_NAMES[code] ?? `algorithm ${code}`, bitLength: bits });

/** The draft's certificate object of a served key. */
export function certificateObject(store: KeyStore, key: ServedKey): Record<string, unknown> {
  const view = keyView(store, key.record);
  const parsed = store.parseRecord(key.record);
  const times = (created: number, expires: number | undefined) => ({ creation: rfc3339(created), ...(expires ? { expiration: rfc3339(expires) } : {}) });
  return {
    version: view.version,
    fingerprint: view.fingerprint.toLowerCase(),
    ...times(view.created, view.expires),
    algorithm: algorithm(view.algo, view.bits),
    isRevoked: view.revoked,
    userIDs: view.uids
      .filter((u) => u.served && !u.isAttribute)
      .map((u) => ({ uidString: u.text, ...(u.created ? { creation: rfc3339(u.created) } : {}), isRevoked: u.revoked })),
    subkeys: view.subkeys.flatMap((s, i) =>
      s.served && s.fingerprint
        ? [{ version: parsed.subkeys[i].packet.body[0], fingerprint: s.fingerprint.toLowerCase(), ...times(s.created, s.expires), algorithm: algorithm(s.algo, s.bits), isRevoked: s.revoked }]
        : [],
    ),
  };
}

export const keyIndex: PathHandler = (ctx, env, [raw]) => {
  const identity = decodeIdentifier(raw);
  const keys = findByIdentity(env, identity);
  if (keys.length === 0) throw new HttpError(404, `no certificate found for identity ${JSON.stringify(identity.slice(0, 128))}`);
  sendJson(ctx, keys.map((k) => certificateObject(env.store, k)));
};
