/**
 * `POST /pks/add` (docs/hkp.md §6): a form with a `keytext` field (first or not), or a
 * raw body of armored or binary keys (application/pgp-keys, the HKPv2 style). Several keys per
 * body; bare revocation certificates are merged into the stored key they revoke once they
 * verify against it. Every key goes through the store's one write path.
 */
import { IngestResult, isRejection, KeyStore, PreparedKey, prepareKey, Rejection } from '@dkeyserv/db';
import {
  dearmor,
  isKeyringError,
  KeyringEntry,
  keyIdentity,
  looksArmored,
  Packet,
  parseSignature,
  PgpError,
  SigType,
  splitKeyring,
  Tag,
  verifySelfSignatures,
} from '@dkeyserv/pgp';
import { HttpError } from './errors';
import { parseUrlEncoded } from './urlencoded';

export interface AddOutcome {
  results: IngestResult[];
}

/** The key material of an /pks/add body, by content type. */
export function keyMaterial(contentType: string | undefined, body: Buffer): Buffer {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const form = parseUrlEncoded(body.toString('latin1'));
    const keytext = form.get('keytext');
    if (keytext === undefined) throw new HttpError(400, 'form has no keytext field');
    return Buffer.from(keytext, 'utf8');
  }
  if (type === '' || type === 'application/pgp-keys' || type === 'application/pgp' || type === 'application/octet-stream' || type === 'text/plain') return body;
  throw new HttpError(415, `content type ${type} is not accepted: send a keytext form or application/pgp-keys`);
}

/** Split key material (armored or binary) into key-sized packet groups. */
export function keyEntries(material: Buffer): KeyringEntry[] {
  const streams: Buffer[] = [];
  if (looksArmored(material)) {
    let blocks;
    try {
      blocks = dearmor(material.toString('utf8'));
    } catch (e) {
      if (e instanceof PgpError) throw new HttpError(422, e.message);
      throw e;
    }
    if (blocks.length === 0) throw new HttpError(422, 'no armored OpenPGP block found');
    for (const b of blocks) streams.push(b.data);
  } else if (material.length > 0 && (material[0] & 0x80) !== 0) {
    streams.push(material);
  } else {
    throw new HttpError(422, 'no OpenPGP data: expected an armored key block or binary packets');
  }
  const entries: KeyringEntry[] = [];
  for (const s of streams) {
    for (const e of splitKeyring(s)) {
      if (isKeyringError(e)) throw new HttpError(422, `bad OpenPGP data at byte ${e.offset}: ${e.error.message}`);
      entries.push(e);
    }
  }
  return entries;
}

/** An /pks/add body stored: its key material by content type, split, each key stored. */
export function uploadKeys(store: KeyStore, contentType: string | undefined, body: Buffer): AddOutcome {
  return addKeys(store, keyEntries(keyMaterial(contentType, body)));
}

/** Store what a body carries; bare revocation certificates are matched to their keys. */
export function addKeys(store: KeyStore, entries: KeyringEntry[]): AddOutcome {
  const keys: Packet[][] = [];
  const results: IngestResult[] = [];
  for (const e of entries) {
    if (e.packets[0].tag === Tag.Signature) {
      for (const sig of e.packets) results.push(addRevocation(store, sig));
    } else keys.push(e.packets);
  }
  results.push(...store.commit(keys.map((packets) => uploadable(store, prepareKey(packets, store.prepareOptions)))));
  return { results };
}

/**
 * Uploads must carry something servable: a new key needs a User ID its owner signed (recon
 * stores whatever its peers hold, for hash parity; an upload has no such reason). Additions to a
 * stored key are merged.
 */
function uploadable(store: KeyStore, p: PreparedKey | Rejection): PreparedKey | Rejection {
  if (isRejection(p) || store.get(p.fpr)) return p;
  if (p.servedUserId) return p;
  return { status: 'rejected', fpr: p.fpr.toString('hex'), reason: 'no-valid-uid', message: 'no User ID carries a valid self-signature, so nothing of this key would be served' };
}

/** A bare key revocation (0x20): merged into the stored key it verifies against. */
function addRevocation(store: KeyStore, sig: Packet): IngestResult {
  const reject = (reason: string, message: string): IngestResult => ({ status: 'rejected', reason, message });
  if (sig.tag !== Tag.Signature) return reject('bad-structure', `packet type ${sig.tag} after a bare signature`);
  let parsed;
  try {
    parsed = parseSignature(sig.body);
  } catch (e) {
    if (e instanceof PgpError) return reject(e.reason, e.message);
    throw e;
  }
  if (parsed.sigType !== SigType.KeyRevocation) return reject('standalone-signature', 'a signature without its key that is not a key revocation');
  const candidates = parsed.issuerFingerprint
    ? store.lookup('fpr', parsed.issuerFingerprint)
    : parsed.issuerKeyId
      ? store.lookup('kid64', parsed.issuerKeyId)
      : [];
  for (const fpr of candidates) {
    const record = store.get(fpr);
    if (!record) continue;
    const key = store.parseRecord(record);
    if (!keyIdentity(key.primary.body).fingerprint.equals(fpr)) continue;
    const check = verifySelfSignatures({ ...key, directSigs: [sig], uids: [], subkeys: [] });
    if (check.revoked) return store.ingest([key.primary, sig]);
  }
  return reject('unknown-key', 'revocation certificate for a key this server does not have, or it does not verify');
}

export function summarize(outcome: AddOutcome): { counts: Record<IngestResult['status'], number>; lines: string[] } {
  const counts = { new: 0, updated: 0, unchanged: 0, rejected: 0 };
  const lines: string[] = [];
  for (const r of outcome.results) {
    counts[r.status]++;
    lines.push(r.status === 'rejected' ? `rejected${r.fpr ? ' 0x' + r.fpr.toUpperCase() : ''}: ${r.reason}: ${r.message}` : `${r.status} 0x${r.fpr!.toUpperCase()}`);
  }
  return { counts, lines };
}
