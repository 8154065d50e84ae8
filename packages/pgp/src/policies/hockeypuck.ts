/**
 * Hockeypuck (≥ 2.2) key normalisation, as a pure function: the packets Hockeypuck 2.3.3 or
 * 2.4-beta2 stores for a key, so that their SKS-style MD5 (sksPacketsHash) is the `md5` it stores
 * and announces in recon (docs/recon-policies.md, docs/sks-key-hash.md §8).
 *
 * Its pipeline for one key, re-stated from its source (openpgp/io.go, resolve.go, pubkey.go,
 * userid.go, subkey.go, verify.go) and the packet parsers of its go-crypto (hockeypuck-parse.ts):
 *
 * 1. Reading (OpaqueKeyReader, default settings): a packet over maxPacketLength (8192 octets; in
 *    2.4 signatures have their own limit, 65536) is skipped without changing the context, so the
 *    signatures after it attach to the component before it; a key over maxKeyLength (1 MiB of
 *    packet bodies) is dropped.
 * 2. Parsing (OpaqueCert.Parse): a primary key go-crypto cannot parse drops the key. A subkey or
 *    User ID it cannot parse (a User ID with a NUL octet, a subkey with a large RSA exponent, ...)
 *    is dropped, and the signatures after it are "out of context" and dropped too. User
 *    Attributes (tag 17) and other tags are dropped with the signatures after them. Signatures
 *    go-crypto cannot parse (an unknown hash such as RIPEMD-160, a critical unknown subpacket,
 *    ...) or without an issuer key ID are dropped one by one.
 * 3. ValidSelfSigned: per component, self-signatures (issuer key ID or fingerprint = the
 *    primary's) are verified and kept if valid and of a type that belongs there (primary: 0x20,
 *    0x1F; User ID: 0x10–0x13, 0x30; subkey: 0x18, 0x28); third-party signatures are kept if
 *    their hash tag fits the signed data and their type is allowed there (primary: 0x20, 0x1F;
 *    User ID: 0x10–0x13, 0x30; subkey: 0x28). A User ID or subkey without a valid
 *    self-signature goes. A valid key revocation whose reason is missing, 0 or 2 is "hard"
 *    (HIP-5): every User ID goes, and so do third-party signatures everywhere. A key with no
 *    User ID, no subkey and no valid direct self-signature left "evaporates" (refused).
 *    2.4 keeps only the newest valid self-certification of a component once it reaches an SLH-DSA
 *    one (drop:oldSlhdsaSelfSig), and refuses a subkey binding across key versions when one is v6.
 *
 * v6 keys: 2.3.3's go-crypto already parses v6 keys and v6 signatures, and nothing in Hockeypuck
 * 2.3.3 refuses them (its "versions:34" is only the recon filter label), so both variants store
 * them the same way.
 */
import { flattenKey, PublicKey } from '../key';
import { Packet, Tag } from '../packet';
import { isIssuedBy, SigType } from '../signature';
import { VerifyMemo, verifyMemo } from '../verify/memo';
import { GoKey, GoSig, GoVariant, parseGoKey, parseGoSignature } from './hockeypuck-parse';
import { goCanSign, goVerify, hashTagMatches, keyForHash, userIdForHash } from './hockeypuck-verify';

export type HockeypuckVariant = '2.3' | '2.4';

export type HockeypuckView = { kept: Packet[] } | { reason: string; message: string };

/** Hockeypuck's default maxPacketLength, maxSigPacketLength (2.4) and maxKeyLength. */
const MAX_PACKET = 8192;
const MAX_SIG_PACKET_24 = 65536;
const MAX_KEY = 1048576;

const SLH_DSA = new Set([32, 33, 34]);

interface SigEntry {
  packet: Packet;
  sig: GoSig;
}

interface Component {
  packet: Packet;
  /** parsed subkey */
  key?: GoKey;
  sigs: SigEntry[];
}

/** Why self-signatures did not count, for the message of an evaporated key. */
class Problems {
  readonly counts = new Map<string, number>();
  add(what: string): void {
    this.counts.set(what, (this.counts.get(what) ?? 0) + 1);
  }
}

export function hockeypuckView(key: PublicKey, variant: HockeypuckVariant): HockeypuckView {
  const all = flattenKey(key);

  // 1. OpaqueKeyReader: packet and key length limits
  const packets: Packet[] = [];
  let total = 0;
  for (const p of all) {
    const max = variant === '2.4' && p.tag === Tag.Signature ? MAX_SIG_PACKET_24 : MAX_PACKET;
    if (p.body.length > max) {
      if (p === key.primary) {
        return refuse('packet-too-large', `the primary key packet has ${p.body.length} octets, over Hockeypuck's packet limit of ${max}`);
      }
      continue;
    }
    packets.push(p);
    total += p.body.length;
  }
  if (total > MAX_KEY) return refuse('key-too-large', `the key has ${total} octets of packets, over Hockeypuck's key limit of ${MAX_KEY}`);

  // 2. OpaqueCert.Parse
  const parsed = parseGoKey(key.primary.body, variant);
  if ('error' in parsed) {
    const v = key.primary.body[0];
    if (v !== 2 && v !== 3 && v !== 4 && v !== 6) {
      return refuse('unsupported-version', `Hockeypuck cannot read v${v} keys (${parsed.error})`);
    }
    return refuse('unparseable-primary-key', `Hockeypuck cannot parse the primary key: ${parsed.error}`);
  }
  const primary = parsed.ok;
  const problems = new Problems();
  const directSigs: SigEntry[] = [];
  const uids: Component[] = [];
  const subkeys: Component[] = [];
  let target: SigEntry[] | null = directSigs;
  for (let i = 1; i < packets.length; i++) {
    const p = packets[i];
    switch (p.tag) {
      case Tag.PublicSubkey: {
        target = null;
        const sub = parseGoKey(p.body, variant);
        if ('error' in sub) continue;
        const c: Component = { packet: p, key: sub.ok, sigs: [] };
        subkeys.push(c);
        target = c.sigs;
        break;
      }
      case Tag.UserId: {
        target = null;
        // CleanUtf8 refuses a NUL character (and go-crypto's UserId parser accepts anything)
        if (p.body.includes(0)) continue;
        const c: Component = { packet: p, sigs: [] };
        uids.push(c);
        target = c.sigs;
        break;
      }
      case Tag.Signature: {
        if (!target) continue; // out of context
        const s = parseGoSignature(p.body, variant);
        if ('error' in s) {
          if (isIssuedBy(p.body, key.keyId, key.fingerprint)) problems.add(describeParseError(s.error));
          continue;
        }
        target.push({ packet: p, sig: s.ok });
        break;
      }
      case Tag.Marker:
        continue;
      default:
        // User Attributes and anything else: dropped, with the signatures that follow (trust
        // packets, which Hockeypuck attaches, do not occur in dkeyserv's stored form)
        target = null;
    }
  }

  // 3. ValidSelfSigned; the public-key operations are shared with verifySelfSignatures (verify/memo.ts)
  const memo = verifyMemo(key);
  const isSelf = (s: GoSig) => s.issuerKeyId === primary.keyId || s.issuerFingerprint === primary.fingerprint;
  const kept = new Set<Packet>([key.primary]);

  let hard = false;
  const direct = resolve(
    directSigs,
    isSelf,
    (s) => verifyDirect(primary, s, variant, true, memo),
    (s) => verifyDirect(primary, s, variant, false, memo),
    [SigType.KeyRevocation],
    [SigType.DirectKey],
    [SigType.KeyRevocation, SigType.DirectKey],
    variant,
    problems,
  );
  for (const e of direct.revocations) {
    const reason = e.sig.revocationReason;
    if (reason === undefined || reason === 0 || reason === 2) hard = true;
  }
  const selfSignedOnly = hard;
  for (const e of direct.certs) kept.add(e.packet);
  if (!selfSignedOnly) for (const e of direct.others) kept.add(e.packet);

  let keptComponents = 0;
  if (!hard) {
    for (const c of uids) {
      const r = resolve(
        c.sigs,
        isSelf,
        (s) => verifyUserId(primary, c.packet.body, s, variant, true, memo),
        (s) => verifyUserId(primary, c.packet.body, s, variant, false, memo),
        [SigType.CertRevocation],
        [SigType.CertGeneric, SigType.CertPersona, SigType.CertCasual, SigType.CertPositive],
        [SigType.CertGeneric, SigType.CertPersona, SigType.CertCasual, SigType.CertPositive, SigType.CertRevocation],
        variant,
        problems,
      );
      if (keepComponent(c, r, selfSignedOnly, kept)) keptComponents++;
    }
  }
  for (const c of subkeys) {
    const sub = c.key as GoKey;
    const r = resolve(
      c.sigs,
      isSelf,
      (s) => verifySubkey(primary, sub, s, variant, true, memo),
      (s) => verifySubkey(primary, sub, s, variant, false, memo),
      [SigType.SubkeyRevocation],
      [SigType.SubkeyBinding],
      [SigType.SubkeyRevocation],
      variant,
      problems,
    );
    if (keepComponent(c, r, selfSignedOnly, kept)) keptComponents++;
  }
  if (keptComponents === 0 && direct.certs.length === 0) return refuse('no-valid-self-signatures', evaporatedMessage(problems, uids.length + subkeys.length));

  return { kept: all.filter((p) => kept.has(p)) };
}

function refuse(reason: string, message: string): HockeypuckView {
  return { reason, message };
}

interface Resolved {
  /** valid self-revocations */
  revocations: SigEntry[];
  /** valid self-certifications / bindings / direct signatures kept (after the SLH-DSA rule) */
  certs: SigEntry[];
  /** plausible third-party signatures of an allowed type */
  others: SigEntry[];
}

/** SigInfo + the kept lists of ValidSelfSigned / Valid for one component's signatures. */
function resolve(
  sigs: SigEntry[],
  isSelf: (s: GoSig) => boolean,
  verify: (s: GoSig) => boolean | string,
  plausify: (s: GoSig) => boolean | string,
  revocationTypes: number[],
  certTypes: number[],
  thirdPartyTypes: number[],
  variant: GoVariant,
  problems: Problems,
): Resolved {
  const revocations: SigEntry[] = [];
  let certs: SigEntry[] = [];
  const others: SigEntry[] = [];
  for (const e of sigs) {
    const s = e.sig;
    if (!isSelf(s)) {
      if (plausify(s) === true && thirdPartyTypes.includes(s.sigType)) others.push(e);
      continue;
    }
    const r = verify(s);
    if (r !== true) {
      if (r !== false) problems.add(r);
      else if (s.pubkeyAlgo >= 30 && s.pubkeyAlgo <= 34) {
        // post-quantum: unverifiable with node:crypto (see hockeypuck-verify.ts), never counted valid
        problems.add(`use post-quantum algorithm ${s.pubkeyAlgo}, which cannot be verified here`);
      } else problems.add('do not verify');
      continue;
    }
    if (revocationTypes.includes(s.sigType)) revocations.push(e);
    else if (certTypes.includes(s.sigType)) certs.push(e);
  }
  if (variant === '2.4') {
    // newest first; everything after the newest SLH-DSA self-certification goes
    const sorted = [...certs].sort((a, b) => b.sig.created - a.sig.created);
    const slh = sorted.findIndex((e) => SLH_DSA.has(e.sig.pubkeyAlgo));
    if (slh >= 0) certs = sorted.slice(0, slh + 1);
  }
  return { revocations, certs: [...revocations, ...certs], others };
}

/** UserID.Valid / SubKey.Valid: kept iff a valid self-signature remains. */
function keepComponent(c: Component, r: Resolved, selfSignedOnly: boolean, kept: Set<Packet>): boolean {
  if (r.certs.length === 0) return false;
  kept.add(c.packet);
  for (const e of r.certs) kept.add(e.packet);
  if (!selfSignedOnly) for (const e of r.others) kept.add(e.packet);
  return true;
}

/**
 * verifyPrimaryKeySelfSig (`self`) / plausifyPrimaryKeySig: direct-key signatures and key
 * revocations; a v3 signature counts only as a key revocation.
 */
function verifyDirect(pk: GoKey, s: GoSig, variant: GoVariant, self: boolean, memo: VerifyMemo): boolean | string {
  const data = keyForHash(pk);
  if (pk.version === 3 || s.version === 3) {
    if (s.version !== 3 || s.sigType !== SigType.KeyRevocation || (pk.version !== 3 && pk.version !== 4)) return 'are of a type that does not belong there';
  } else if (s.sigType !== SigType.KeyRevocation && s.sigType !== SigType.DirectKey) return 'are of a type that does not belong there';
  return self ? goVerify(pk, s, data, variant, memo) : hashTagMatches(s, data);
}

/** verifyUserIDSelfSig / plausifyUserIDSig: any signature type, checked over key ‖ User ID. */
function verifyUserId(pk: GoKey, id: Buffer, s: GoSig, variant: GoVariant, self: boolean, memo: VerifyMemo): boolean | string {
  if (pk.version === 3 && s.version !== 3) return 'are not v3 signatures, which a v3 key needs';
  // v3 signatures hash the bare User ID
  const data = s.version === 3 ? [...keyForHash(pk), id] : [...keyForHash(pk), ...userIdForHash(id)];
  return self ? goVerify(pk, s, data, variant, memo) : hashTagMatches(s, data);
}

/**
 * verifySubKeySelfSig (VerifyKeySignature: a signing-capable binding needs a valid embedded
 * primary-key binding by the subkey) / plausifySubKeySig.
 */
function verifySubkey(pk: GoKey, sub: GoKey, s: GoSig, variant: GoVariant, self: boolean, memo: VerifyMemo): boolean | string {
  if (self && variant === '2.4' && (pk.version >= 6 || sub.version >= 6) && pk.version !== sub.version) return 'bind a subkey of another key version';
  if (pk.version === 3 || sub.version === 3) return 'bind a v3 subkey';
  const data = [...keyForHash(pk), ...keyForHash(sub)];
  if (s.version === 3) {
    if (sub.version !== 4) return 'are of a type that does not belong there';
    if (!self) return hashTagMatches(s, data);
    // a v3 binding is refused for a subkey that can sign (no cross-signature possible)
    if (goCanSign(sub.algo, variant)) return false;
    return goVerify(pk, s, data, variant, memo);
  }
  if (!self) return hashTagMatches(s, data);
  if (!goVerify(pk, s, data, variant, memo)) return false;
  if (s.flagSign) {
    if (!s.embedded) return 'bind a signing subkey without a cross-signature';
    if (!goVerify(sub, s.embedded, data, variant, memo)) return 'bind a signing subkey with an invalid cross-signature';
  }
  return true;
}

/** A go-crypto parse error in a user's words. */
function describeParseError(error: string): string {
  const hash = /hash function (\d+)$/.exec(error);
  if (hash) {
    const id = Number(hash[1]);
    const name = HASH_NAMES[id];
    return `use hash algorithm ${id}${name ? `, ${name}` : ''}, which Hockeypuck cannot read`;
  }
  const algo = /public key algorithm (\d+)$/.exec(error);
  if (algo) return `use public-key algorithm ${algo[1]}, which Hockeypuck cannot read`;
  return `cannot be read by Hockeypuck (${error})`;
}

const HASH_NAMES: Record<number, string> = {
  1: 'MD5',
  2: 'SHA-1',
  3: 'RIPEMD-160',
  8: 'SHA-256',
  9: 'SHA-384',
  10: 'SHA-512',
  11: 'SHA-224',
  12: 'SHA3-256',
  14: 'SHA3-512',
};

function evaporatedMessage(problems: Problems, components: number): string {
  const total = [...problems.counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) {
    return components === 0
      ? 'no self-signature Hockeypuck can verify (no User ID, subkey or direct signature it can read)'
      : 'no self-signature Hockeypuck can verify (none of its User IDs or subkeys carries one)';
  }
  const parts = [...problems.counts.entries()].map(([what, n]) => (problems.counts.size === 1 ? `${n === 1 ? 'the only one' : `all ${n}`} ${what}` : `${n} ${what}`));
  return `no self-signature Hockeypuck can verify (${parts.join('; ')})`;
}
