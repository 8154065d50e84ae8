/**
 * Signature checks as Hockeypuck's go-crypto makes them (openpgp/packet/public_key.go,
 * public_key_v3.go), run with node:crypto:
 *
 * - "verify" (self-signatures): the public-key operation. go-crypto compares the left-16 hash tag
 *   only for v6 signatures (and v3 ones), never for v4; the key and signature algorithms must be
 *   equal (RSA 1 and RSA Sign-Only 3 are different algorithms there).
 * - "plausify" (third-party signatures): only the hash tag, i.e. the left 16 bits of the digest of
 *   what the signature would sign.
 *
 * Post-quantum signatures (algorithms 30–34, RFC 9980) cannot be checked with node:crypto in
 * Node 20, so they never verify here (Hockeypuck 2.4 could verify them; such self-signatures are
 * treated as unverifiable, not as valid). Their hash tags can still be checked.
 *
 * KeyObjects and public-key verdicts come from the key's VerifyMemo (verify/memo.ts), shared with
 * verifySelfSignatures: only the raw cryptographic result is shared, every go-crypto rule above is
 * applied here before asking it.
 */
import { constants, createHash } from 'node:crypto';
import { PgpError } from '../errors';
import { VerifyMemo } from '../verify/memo';
import { VerifyingKey } from '../verify/pubkey';
import { GoKey, GoSig, GoVariant } from './hockeypuck-parse';

/** PublicKeyAlgorithm.CanSign of each go-crypto build. */
export function goCanSign(algo: number, variant: GoVariant): boolean {
  if (variant === '2.3') return algo !== 2 && algo !== 16 && algo !== 18;
  return [1, 3, 17, 19, 22, 27, 28, 30, 31, 32, 33, 34].includes(algo);
}

/** The octets hashed for a key (go-crypto's SerializeForHash): 0x99 ‖ 2-octet length, or 0x9b ‖ 4-octet length for v6. */
export function keyForHash(key: GoKey): Buffer[] {
  const body = key.hashBody;
  if (key.version === 6) {
    const hdr = Buffer.alloc(5);
    hdr[0] = 0x9b;
    hdr.writeUInt32BE(body.length, 1);
    return [hdr, body];
  }
  return [Buffer.from([0x99, (body.length >> 8) & 0xff, body.length & 0xff]), body];
}

/** The octets hashed for a User ID under a v4/v6 signature: 0xB4 ‖ 4-octet length ‖ id. */
export function userIdForHash(id: Buffer): Buffer[] {
  const hdr = Buffer.alloc(5);
  hdr[0] = 0xb4;
  hdr.writeUInt32BE(id.length, 1);
  return [hdr, id];
}

/** Everything the signature hashes: [salt] ‖ signed data ‖ suffix. */
function signedOctets(sig: GoSig, data: readonly Buffer[]): Buffer {
  const parts = sig.salt ? [sig.salt, ...data, sig.suffix] : [...data, sig.suffix];
  return Buffer.concat(parts);
}

/** Whether the hash tag matches the data (VerifyHashTag / VerifyHashTagV3). */
export function hashTagMatches(sig: GoSig, data: readonly Buffer[]): boolean {
  const digest = createHash(sig.hashName).update(signedOctets(sig, data)).digest();
  return digest[0] === sig.hashTag[0] && digest[1] === sig.hashTag[1];
}

function nodeKey(key: GoKey, memo: VerifyMemo): VerifyingKey | null {
  try {
    return memo.signer(key.hashBody);
  } catch (e) {
    // algorithms or curves node:crypto cannot use (e.g. EdDSALegacy over Ed448), bad material
    if (!(e instanceof PgpError)) throw e;
    return null;
  }
}

/**
 * go-crypto's VerifySignature / VerifySignatureV3 of `sig` by `signer` over `data` (signed data
 * without salt and suffix). A v3 signer selects PublicKeyV3's variant (RSA only, unpadded
 * signature). `memo` is the VerifyMemo of the key being viewed.
 */
export function goVerify(signer: GoKey, sig: GoSig, data: readonly Buffer[], variant: GoVariant, memo: VerifyMemo): boolean {
  const v3Key = signer.version === 3;
  if (v3Key ? signer.algo === 2 : !goCanSign(signer.algo, variant)) return false;
  const octets = signedOctets(sig, data);
  const digest = createHash(sig.hashName).update(octets).digest();
  if ((sig.version === 3 || sig.version >= 5) && (digest[0] !== sig.hashTag[0] || digest[1] !== sig.hashTag[1])) return false;
  if (signer.algo !== sig.pubkeyAlgo) return false;
  if (v3Key && signer.algo !== 1 && signer.algo !== 3) return false;
  const vk = nodeKey(signer, memo);
  if (!vk) return false;
  const m = sig.mpis;
  try {
    switch (sig.pubkeyAlgo) {
      case 1:
      case 3: {
        if (!m) return false;
        const k = vk.size;
        // PublicKeyV3 passes the signature as read; PublicKey pads it to the modulus size
        let s = m[0];
        if (s.length > k || (v3Key && s.length !== k)) return false;
        if (s.length < k) s = Buffer.concat([Buffer.alloc(k - s.length), s]);
        return memo.run({ algorithm: sig.hashName, data: octets, digest, key: { key: vk.key, padding: constants.RSA_PKCS1_PADDING }, signature: s });
      }
      case 17: {
        // Go's dsa.Verify refuses a subgroup order whose bit length is not a multiple of 8
        if (!m || signer.dsaQBits === undefined || signer.dsaQBits % 8 !== 0) return false;
        const rs = pair(m, vk.size);
        return rs !== undefined && memo.run({ algorithm: sig.hashName, data: octets, digest, key: { key: vk.key, dsaEncoding: 'ieee-p1363' }, signature: rs });
      }
      case 19: {
        if (!m) return false;
        const rs = pair(m, vk.size);
        return rs !== undefined && memo.run({ algorithm: sig.hashName, data: octets, digest, key: { key: vk.key, dsaEncoding: 'ieee-p1363' }, signature: rs });
      }
      case 22: {
        // eddsa.Verify: r and s as read, at most 32 octets each, left-padded
        if (!m || m[0].length > 32 || m[1].length > 32) return false;
        const rs = Buffer.alloc(64);
        m[0].copy(rs, 32 - m[0].length);
        m[1].copy(rs, 64 - m[1].length);
        return memo.run({ algorithm: null, data: digest, digest, key: vk.key, signature: rs });
      }
      case 27:
      case 28:
        return sig.native !== undefined && memo.run({ algorithm: null, data: digest, digest, key: vk.key, signature: sig.native });
      default:
        // post-quantum (30–34): not verifiable with node:crypto in Node 20, see the module comment
        return false;
    }
  } catch {
    // OpenSSL refuses the encoding or the key/digest combination
    return false;
  }
}

/** Two big-endian integers r, s (leading zeros ignored, as big.Int reads them), each padded to `size`. */
function pair(m: Buffer[], size: number): Buffer | undefined {
  if (m.length !== 2) return undefined;
  const out = Buffer.alloc(2 * size);
  for (let i = 0; i < 2; i++) {
    let v = m[i];
    let z = 0;
    while (z < v.length && v[z] === 0) z++;
    v = v.subarray(z);
    if (v.length > size) return undefined;
    v.copy(out, (i + 1) * size - v.length);
  }
  return out;
}
