/**
 * The signature lines of `op=vindex` (docs/hkp.md §4, §11): for each served key, its direct
 * signatures and, under each served User ID and subkey, one line per signature — SKS's kind
 * (`sig3`, `revok`, `sbind`, …), issuer key ID, creation, expiry, and the issuer's primary User ID
 * when the issuer is stored here (`[selfsig]` for the key's own). Nothing is verified here:
 * lines show what the packets say.
 *
 * Bounded: at most `perComponent` lines under one component and `perPage` on the page (the rest
 * counted as "… and N more", never parsed), and at most `issuers` distinct issuers looked up in
 * the store per page — a key may carry thousands of certifications.
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { KeyComponent, ownerSigned, Packet, parseSignature, PgpError, PublicKey, Signature, Tag } from '@dkeyserv/pgp';
import { keyView } from '../model';
import { SigLine, SigList, VerboseKey } from '../web';

export interface SigLineLimits {
  /** lines shown under one component (the key itself, a User ID, a subkey) */
  perComponent: number;
  /** lines shown on one page */
  perPage: number;
  /** distinct issuers looked up in the store per page */
  issuers: number;
}

export const DEFAULT_SIG_LINE_LIMITS: SigLineLimits = { perComponent: 100, perPage: 2000, issuers: 200 };

/** SKS's names of signature types (its `index.ml`); others are shown in hex. */
const KINDS: Record<number, string> = { 0x10: 'sig', 0x11: 'sig1', 0x12: 'sig2', 0x13: 'sig3', 0x18: 'sbind', 0x19: 'pbind', 0x1f: 'dirct', 0x20: 'revok', 0x28: 'revok', 0x30: 'revok' };

/** Signature expiration time (RFC 9580 §5.2.3.18), subpacket 3. */
const SIG_EXPIRATION = 3;

/** What one page's lines share: the budgets left and the issuers already looked up. */
class PageBudget {
  private lines: number;
  private readonly issuerUids = new Map<string, string | undefined>();

  constructor(
    private readonly store: KeyStore,
    private readonly served: (r: KeyRecord | undefined) => KeyRecord | undefined,
    private readonly limits: SigLineLimits,
  ) {
    this.lines = limits.perPage;
  }

  /**
   * The lines of one component's signatures, within both budgets. `created` is the creation of
   * the key a self-signature's key expiry counts from: the primary's, or the subkey's it binds.
   */
  list(key: PublicKey, sigs: readonly Packet[], created: number): SigList {
    const shown = Math.min(sigs.length, this.limits.perComponent, this.lines);
    this.lines -= shown;
    return { lines: sigs.slice(0, shown).map((p) => this.line(key, p, created)), more: sigs.length - shown };
  }

  private line(key: PublicKey, packet: Packet, created: number): SigLine {
    let sig: Signature;
    try {
      sig = parseSignature(packet.body);
    } catch (e) {
      if (e instanceof PgpError) return { kind: 'unreadable', self: false };
      throw e;
    }
    const keyId = issuerKeyId(sig);
    const self = keyId !== undefined && keyId.equals(key.keyId);
    const keyExpires = self && sig.keyExpiration ? created + sig.keyExpiration : undefined;
    const expiresAfter = signatureExpiration(sig.hashedSubpackets);
    return {
      kind: KINDS[sig.sigType] ?? `0x${sig.sigType.toString(16).padStart(2, '0')}`,
      keyId: keyId?.toString('hex').toUpperCase(),
      created: sig.created || undefined,
      expires: expiresAfter && sig.created ? sig.created + expiresAfter : undefined,
      keyExpires,
      self,
      issuerUid: !self && keyId ? this.issuerUid(sig, keyId) : undefined,
    };
  }

  /** The primary User ID of the stored key that has the issuer's key ID (only if exactly one has). */
  private issuerUid(sig: Signature, keyId: Buffer): string | undefined {
    const id = keyId.toString('hex');
    if (this.issuerUids.has(id)) return this.issuerUids.get(id);
    if (this.issuerUids.size >= this.limits.issuers) return undefined;
    const found = sig.issuerFingerprint ? this.store.lookup('fpr', sig.issuerFingerprint, 2) : this.store.lookup('kid64', keyId, 2);
    const record = found.length === 1 ? this.served(this.store.get(found[0])) : undefined;
    const uid = record ? primaryUid(this.store, record) : undefined;
    this.issuerUids.set(id, uid);
    return uid;
  }
}

/** The issuer's key ID: stated, or from the issuer fingerprint (v4: its last 8 octets, v6: its first 8). */
function issuerKeyId(sig: Signature): Buffer | undefined {
  if (sig.issuerKeyId) return sig.issuerKeyId;
  const f = sig.issuerFingerprint;
  if (!f) return undefined;
  if (sig.issuerFingerprintVersion === 4 && f.length === 20) return f.subarray(12);
  if (sig.issuerFingerprintVersion === 6 && f.length === 32) return f.subarray(0, 8);
  return undefined;
}

/** Seconds after creation at which a signature expires (hashed subpacket 3); 0 or absent: never. */
function signatureExpiration(hashed: Buffer): number | undefined {
  // subpacket lengths, RFC 9580 §5.2.3.7; a malformed area just has no expiry shown
  let p = 0;
  while (p < hashed.length) {
    const b0 = hashed[p];
    const head = b0 < 192 ? 1 : b0 < 255 ? 2 : 5;
    if (p + head > hashed.length) return undefined;
    const len = head === 1 ? b0 : head === 2 ? ((b0 - 192) << 8) + hashed[p + 1] + 192 : hashed.readUInt32BE(p + 1);
    p += head;
    if (len < 1 || len > hashed.length - p) return undefined;
    if ((hashed[p] & 0x7f) === SIG_EXPIRATION && len === 5) return hashed.readUInt32BE(p + 1) || undefined;
    p += len;
  }
  return undefined;
}

/** A key's first User ID its owner validly certified and did not revoke, else the first it signed at all. */
function primaryUid(store: KeyStore, record: KeyRecord): string | undefined {
  const key = store.parseRecord(record);
  const v = record.validity.uids;
  const isUid = (c: KeyComponent) => c.packet.tag === Tag.UserId;
  const best = key.uids.find((c, i) => isUid(c) && v[i]?.valid && !v[i]?.revoked) ?? key.uids.find((c, i) => isUid(c) && ownerSigned(v[i]));
  return best?.packet.body.toString('utf8');
}

/** The verbose views of served records (each already what `env.served` gives), in order. */
export function verboseKeys(
  store: KeyStore,
  records: readonly KeyRecord[],
  served: (r: KeyRecord | undefined) => KeyRecord | undefined,
  limits: SigLineLimits = DEFAULT_SIG_LINE_LIMITS,
): VerboseKey[] {
  const budget = new PageBudget(store, served, limits);
  const out: VerboseKey[] = [];
  for (const record of records) {
    const view = keyView(store, record);
    if (!view.servable) continue;
    const key = store.parseRecord(record);
    out.push({
      key: view,
      direct: budget.list(key, key.directSigs, view.created),
      // keyView's UIDs and subkeys are the parsed key's, index for index; only served ones are shown
      uids: key.uids.flatMap((c, i) => (view.uids[i].served && !view.uids[i].isAttribute ? [{ uid: view.uids[i], sigs: budget.list(key, c.sigs, view.created) }] : [])),
      subkeys: key.subkeys.flatMap((c, i) => (view.subkeys[i].served ? [{ subkey: view.subkeys[i], sigs: budget.list(key, c.sigs, view.subkeys[i].created) }] : [])),
    });
  }
  return out;
}
