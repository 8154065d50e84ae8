/**
 * Hostile OpenPGP keys for the abuse suite (test/abuse/*), built packet by packet (RFC 9580 §5:
 * v4 key, User ID and signature packets) so that nothing in a library stops at a sane limit.
 *
 * @example
 * ```ts
 * const k = ed25519Key(['x <' + 'a@'.repeat(80_000)]);       // valid self-signatures
 * const big = rsaKey({ uids: 2000, exponentBits: 3070 });       // huge e, signatures that fail
 * const hard = rsaKey({ uids: 500, exponentBits: 3070, valid: true }); // huge e, valid signatures
 * const body = keytextBody(k.binary);                           // an /pks/add form body
 * ```
 *
 * RSA with a huge exponent: the verifier computes s^e mod n, which costs in proportion to the
 * bit length of e, valid signature or not (an invalid one is only known as such afterwards). For
 * valid ones the key is made the other way round: a small random private exponent d, and
 * e = d^-1 mod φ(n), which is as long as φ(n). Signing then uses the CRT exponents of OpenSSL.
 */
import { createHash, createPrivateKey, createPublicKey, generatePrimeSync, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { armor, encodePacket } from '@dkeyserv/pgp';

const ALGO_RSA = 1;
const ALGO_EDDSA_LEGACY = 22;
const HASH_SHA256 = 8;
const TAG_SIG = 2;
const TAG_PUBKEY = 6;
const TAG_UID = 13;
const SIG_POSITIVE = 0x13;
const SIG_KEY_REVOCATION = 0x20;
const OID_ED25519 = Buffer.from('2b06010401da470f01', 'hex');
const CREATED = 1_600_000_000;

export interface BuiltKey {
  /** the transferable public key, binary */
  binary: Buffer;
  /** 40 upper-case hex digits */
  fingerprint: string;
}

const be16 = (n: number): Buffer => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
const be32 = (n: number): Buffer => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const packet = (tag: number, body: Buffer): Buffer => encodePacket(tag, body).raw;

/** MPI (RFC 9580 §3.2): bit count, then the value without leading zero octets. */
function mpi(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  return Buffer.concat([be16(v[0] === 0 ? 0 : (v.length - 1) * 8 + 32 - Math.clz32(v[0])), v]);
}

function subpacket(type: number, data: Buffer): Buffer {
  if (data.length + 1 >= 192) throw new Error('long subpackets are not needed here');
  return Buffer.concat([Buffer.from([data.length + 1, type]), data]);
}

const bigToBuf = (n: bigint): Buffer => {
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
};
const bufToBig = (b: Buffer): bigint => BigInt(`0x${b.toString('hex') || '0'}`);

/** a random number of exactly `bits` bits (top bit set), odd if asked */
function randomBits(bits: number, odd: boolean): Buffer {
  const b = randomBytes(Math.ceil(bits / 8));
  const extra = b.length * 8 - bits;
  b[0] &= 0xff >> extra;
  b[0] |= 0x80 >> extra;
  if (odd) b[b.length - 1] |= 1;
  return b;
}

function modInverse(a: bigint, m: bigint): bigint {
  let [r0, r1] = [a % m, m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return ((s0 % m) + m) % m;
}

/** A signer: the key packet body, its fingerprint and how to make the signature MPIs over a digest. */
interface Signer {
  algo: number;
  body: Buffer;
  fingerprint: Buffer;
  /** signature MPIs over `digest` (SHA-256); `data` is what was hashed */
  sign(digest: Buffer, data: Buffer): Buffer;
}

/**
 * A v4 signature packet (RFC 9580 §5.2.3) of `type` over `material` (the key, and the User ID
 * for certifications), SHA-256, issuer fingerprint and creation time hashed, issuer key ID
 * unhashed. The left 16 bits of the digest are right, so no verifier can reject it before the
 * public-key operation.
 */
function signature(signer: Signer, type: number, material: Buffer): Buffer {
  const hashed = Buffer.concat([subpacket(33, Buffer.concat([Buffer.from([4]), signer.fingerprint])), subpacket(2, be32(CREATED))]);
  const head = Buffer.concat([Buffer.from([4, type, signer.algo, HASH_SHA256]), be16(hashed.length), hashed]);
  const trailer = Buffer.concat([Buffer.from([4, 0xff]), be32(head.length)]);
  const data = Buffer.concat([material, head, trailer]);
  const digest = createHash('sha256').update(data).digest();
  const unhashed = subpacket(16, signer.fingerprint.subarray(12));
  return packet(TAG_SIG, Buffer.concat([head, be16(unhashed.length), unhashed, digest.subarray(0, 2), signer.sign(digest, data)]));
}

const keyMaterial = (body: Buffer): Buffer => Buffer.concat([Buffer.from([0x99]), be16(body.length), body]);
const uidMaterial = (uid: Buffer): Buffer => Buffer.concat([Buffer.from([0xb4]), be32(uid.length), uid]);

function assemble(signer: Signer, uids: readonly (string | Buffer)[], revoked = false): BuiltKey {
  const km = keyMaterial(signer.body);
  const parts = [packet(TAG_PUBKEY, signer.body)];
  if (revoked) parts.push(signature(signer, SIG_KEY_REVOCATION, km));
  for (const u of uids) {
    const uid = Buffer.isBuffer(u) ? u : Buffer.from(u, 'utf8');
    parts.push(packet(TAG_UID, uid), signature(signer, SIG_POSITIVE, Buffer.concat([km, uidMaterial(uid)])));
  }
  return { binary: Buffer.concat(parts), fingerprint: signer.fingerprint.toString('hex').toUpperCase() };
}

function ed25519Signer(): Signer & { privateKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const point = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const body = Buffer.concat([Buffer.from([4]), be32(CREATED), Buffer.from([ALGO_EDDSA_LEGACY, OID_ED25519.length]), OID_ED25519, mpi(Buffer.concat([Buffer.from([0x40]), point]))]);
  return {
    algo: ALGO_EDDSA_LEGACY,
    body,
    privateKey,
    fingerprint: createHash('sha1').update(keyMaterial(body)).digest(),
    // legacy EdDSA signs the digest itself: MPIs R and S
    sign: (digest) => {
      const rs = sign(null, digest, privateKey);
      return Buffer.concat([mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]);
    },
  };
}

/** A fresh Ed25519 key whose User IDs all carry valid positive self-certifications. */
export function ed25519Key(uids: readonly (string | Buffer)[]): BuiltKey {
  return assemble(ed25519Signer(), uids);
}

/** A fresh Ed25519 key with one User ID and a valid key revocation signature. */
export function revokedEd25519Key(uid: string): BuiltKey {
  return assemble(ed25519Signer(), [uid], true);
}

/** DigestInfo prefix of SHA-256 (RFC 8017 §9.2 note 1) */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

export interface RsaKeyOptions {
  /** how many User IDs, each with a positive self-certification */
  uids: number;
  /** modulus length (default 3072: OpenSSL takes exponents of any length up to that) */
  modulusBits?: number;
  /** public exponent length (default 3070) */
  exponentBits?: number;
  /** make the signatures verify (slower to build: ~2 ms each) */
  valid?: boolean;
  /** User ID i (default "Abuse Test N <abuseN@example.org>") */
  uid?: (i: number) => string;
}

/**
 * An RSA key with an arbitrarily long public exponent. Not valid: a random odd modulus and
 * exponent, and random signature values below the modulus. Valid: real primes, a 160-bit
 * private exponent and its inverse as the public one.
 */
export function rsaKey(opts: RsaKeyOptions): BuiltKey {
  const nBits = opts.modulusBits ?? 3072;
  const eBits = opts.exponentBits ?? 3070;
  const uid = opts.uid ?? ((i: number) => `Abuse Test ${i} <abuse${i}@example.org>`);
  let n: Buffer;
  let e: Buffer;
  let signRaw: (em: Buffer) => Buffer;
  if (!opts.valid) {
    n = randomBits(nBits, true);
    e = randomBits(eBits, true);
    const nBytes = n.length;
    signRaw = () => {
      const s = randomBytes(nBytes);
      s[0] = n[0] - 1; // below n, and full length
      return s;
    };
  } else {
    const half = nBits / 2;
    let p: bigint, q: bigint, nn: bigint, phi: bigint, d: bigint, ee: bigint;
    for (;;) {
      p = generatePrimeSync(half, { bigint: true });
      q = generatePrimeSync(half, { bigint: true });
      nn = p * q;
      if (nn.toString(2).length !== nBits || p === q) continue;
      phi = (p - 1n) * (q - 1n);
      d = bufToBig(randomBits(160, true));
      try {
        ee = modInverse(d, phi);
      } catch {
        continue;
      }
      if (ee.toString(2).length >= eBits) break;
    }
    n = bigToBuf(nn);
    e = bigToBuf(ee);
    const b64 = (x: bigint): string => bigToBuf(x).toString('base64url');
    const jwk = { kty: 'RSA', n: b64(nn), e: b64(ee), d: b64(d), p: b64(p), q: b64(q), dp: b64(d % (p - 1n)), dq: b64(d % (q - 1n)), qi: b64(modInverse(q, p)) };
    const key = createPrivateKey({ key: jwk, format: 'jwk' });
    createPublicKey(key); // throws if OpenSSL refuses the key
    signRaw = (data) => sign('sha256', data, key);
  }
  const body = Buffer.concat([Buffer.from([4]), be32(CREATED), Buffer.from([ALGO_RSA]), mpi(n), mpi(e)]);
  const signer: Signer = {
    algo: ALGO_RSA,
    body,
    fingerprint: createHash('sha1').update(keyMaterial(body)).digest(),
    sign: (digest, data) => mpi(opts.valid ? signRaw(data) : signRaw(Buffer.concat([SHA256_DIGEST_INFO, digest]))),
  };
  return assemble(
    signer,
    Array.from({ length: opts.uids }, (_, i) => uid(i)),
  );
}

/** `keytext=<armored key>` form-encoded, as gpg --send-keys posts it to /pks/add */
export function keytextBody(binary: Buffer): string {
  return `keytext=${encodeURIComponent(armor(binary))}`;
}
