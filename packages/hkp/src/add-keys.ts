/**
 * `POST /pks/add` (docs/hkp.md §6): a form with a `keytext` field (first or not), or a
 * raw body of armored or binary keys (application/pgp-keys, the HKPv2 style). Several keys per
 * body; bare revocation certificates are merged into the stored key they revoke once they
 * verify against it. Every key goes through the store's one write path.
 *
 * Every signature is checked by a KeyPreparer (the serving process's pool of worker threads,
 * docs/operations.md §13), so an expensive key never holds the event loop; only splitting, merging
 * and the write stay on it.
 */
import { IngestResult, inlinePreparer, isRejection, KeyPreparer, KeyStore, PreparedKey, prepareMerged, Rejection } from '@dkeyserv/db';
import {
  dearmor,
  isKeyringError,
  joinPackets,
  KeyringEntry,
  keyIdentity,
  looksArmored,
  Packet,
  parseSignature,
  PgpError,
  SigType,
  splitKeyring,
  Tag,
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
export function uploadKeys(store: KeyStore, contentType: string | undefined, body: Buffer, preparer?: KeyPreparer): Promise<AddOutcome> {
  return addKeys(store, keyEntries(keyMaterial(contentType, body)), preparer);
}

/**
 * Store what a body carries; bare revocation certificates are matched to their keys. Signatures
 * are checked by `preparer` (default: inline, on this thread).
 */
export async function addKeys(store: KeyStore, entries: KeyringEntry[], preparer: KeyPreparer = inlinePreparer(store.prepareOptions)): Promise<AddOutcome> {
  const keys: Packet[][] = [];
  const sigs: Packet[] = [];
  for (const e of entries) {
    if (e.packets[0].tag === Tag.Signature) sigs.push(...e.packets);
    else keys.push(e.packets);
  }
  const results = await addRevocations(store, sigs, preparer);
  const prepared = await prepareMerged(store, preparer, keys);
  results.push(...store.commit(prepared.map((p) => uploadable(store, p))));
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

/** stored keys one bare revocation is tried against (v3 key IDs can be made to collide at will) */
const MAX_REVOCATION_CANDIDATES = 4;

/** A bare revocation and the stored keys it may revoke (their primary with it, as a key to check). */
interface RevocationCheck {
  result?: IngestResult;
  candidates: Packet[][];
}

/**
 * Bare key revocations (0x20), each merged into the stored key it verifies against: the checks
 * (primary + signature, as a key) and then the merges are prepared by `preparer`.
 */
async function addRevocations(store: KeyStore, sigs: Packet[], preparer: KeyPreparer): Promise<IngestResult[]> {
  const checks = sigs.map((sig) => revocationCandidates(store, sig));
  const tried = checks.flatMap((c) => c.candidates);
  const verdicts = await preparer.prepare(tried.map((packets) => joinPackets(packets)));
  const revoking: Packet[][] = [];
  let at = 0;
  const found = checks.map((c) => {
    const i = c.candidates.findIndex((_, j) => {
      const v = verdicts[at + j];
      return !isRejection(v) && v.validity.revoked;
    });
    at += c.candidates.length;
    if (i >= 0) revoking.push(c.candidates[i]);
    return i >= 0;
  });
  const stored = store.commit(await prepareMerged(store, preparer, revoking));
  let next = 0;
  return checks.map((c, i) => c.result ?? (found[i] ? stored[next++] : reject('unknown-key', 'revocation certificate for a key this server does not have, or it does not verify')));
}

function reject(reason: string, message: string): IngestResult {
  return { status: 'rejected', reason, message };
}

/** The stored keys a bare signature may revoke, or why it is refused outright. */
function revocationCandidates(store: KeyStore, sig: Packet): RevocationCheck {
  if (sig.tag !== Tag.Signature) return { result: reject('bad-structure', `packet type ${sig.tag} after a bare signature`), candidates: [] };
  let parsed;
  try {
    parsed = parseSignature(sig.body);
  } catch (e) {
    if (e instanceof PgpError) return { result: reject(e.reason, e.message), candidates: [] };
    throw e;
  }
  if (parsed.sigType !== SigType.KeyRevocation) return { result: reject('standalone-signature', 'a signature without its key that is not a key revocation'), candidates: [] };
  const fprs = parsed.issuerFingerprint
    ? store.lookup('fpr', parsed.issuerFingerprint)
    : parsed.issuerKeyId
      ? store.lookup('kid64', parsed.issuerKeyId)
      : [];
  const candidates: Packet[][] = [];
  for (const fpr of fprs) {
    if (candidates.length >= MAX_REVOCATION_CANDIDATES) break;
    const record = store.get(fpr);
    if (!record) continue;
    const key = store.parseRecord(record);
    if (keyIdentity(key.primary.body).fingerprint.equals(fpr)) candidates.push([key.primary, sig]);
  }
  return { candidates };
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
