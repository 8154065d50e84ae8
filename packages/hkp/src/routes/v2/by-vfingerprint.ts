/**
 * `GET /pks/v2/certs/by-vfingerprint/<VV>/<FPR>` (docs/hkp.md §12, draft §5.1.2): a versioned
 * fingerprint, version octet and fingerprint in hex (any case, no `0x`), `04/` + 40 digits or
 * `06/` + 64; the -01 path form, and the earlier one-run form (`04<FPR>`) of draft -10 clients.
 * The primary key's or a subkey's fingerprint, of that version, finds the whole certificate. A
 * malformed identifier or another version is 404, as in Hockeypuck.
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { keyIdentity } from '@dkeyserv/pgp';
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { lookupRecords, servedKeys } from '../served-keys';
import { sendBundle } from './bundle';

const FPR_DIGITS: Record<string, number> = { '04': 40, '06': 64 };

/** The version and fingerprint of an identifier, or undefined when it is not one we serve. */
export function parseVfingerprint(id: string): { version: number; fpr: Buffer } | undefined {
  const m = /^(0[46])\/?([0-9a-fA-F]+)$/.exec(id);
  if (!m || m[2].length !== FPR_DIGITS[m[1]]) return undefined;
  return { version: Number(m[1]), fpr: Buffer.from(m[2], 'hex') };
}

/** Whether the record's primary key or one of its subkeys has this fingerprint and version. */
function hasVersionedKey(store: KeyStore, record: KeyRecord, version: number, fpr: Buffer): boolean {
  const key = store.parseRecord(record);
  for (const packet of [key.primary, ...key.subkeys.map((s) => s.packet)]) {
    try {
      const id = keyIdentity(packet.body);
      if (id.fingerprint.equals(fpr)) return id.version === version;
    } catch {
      // an unreadable subkey packet names no fingerprint
    }
  }
  return false;
}

export const byVfingerprint: PathHandler = (ctx, env, [id]) => {
  const v = parseVfingerprint(id);
  if (!v) throw new HttpError(404, 'not a versioned fingerprint this server serves: 04/<40 hex digits> or 06/<64 hex digits>');
  const records = lookupRecords(env, { kind: 'fpr', value: v.fpr }).filter((r) => hasVersionedKey(env.store, r, v.version, v.fpr));
  sendBundle(ctx, servedKeys(env, records), `versioned fingerprint ${id}`);
};
