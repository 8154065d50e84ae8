/**
 * Hand-built OpenPGP keys with node:crypto Ed25519 / X25519, for tests that need exact control of
 * the signatures (types, reason-for-revocation codes, third-party issuers, key versions):
 *
 * - v4: EdDSALegacy primary (algorithm 22, curve OID 1.3.6.1.4.1.11591.15.1), ECDH Curve25519
 *   subkey (algorithm 18), v4 signatures (RFC 9580 §5.2.3, §5.5.5.5, §5.5.5.6).
 * - v6: Ed25519 (algorithm 27) or Ed448 (28) primary, X25519 subkey (algorithm 25), salted v6
 *   signatures.
 *
 * Every signature is over SHA-256 unless told otherwise, is of its signer's version unless told
 * otherwise (to build the mismatches RFC 9580 forbids), and names its issuer by fingerprint (subpacket 33, hashed) and,
 * for v4, by key ID (subpacket 16, unhashed), as GnuPG and openpgp.js do.
 */
import { createHash, generateKeyPairSync, KeyObject, randomBytes, sign } from 'node:crypto';
import { encodePacket, Packet, Tag } from '../../src/packet';
import { keyHashPrefix, keyIdentity } from '../../src/fingerprint';

const LEGACY_ED25519_OID = Buffer.from('2b06010401da470f01', 'hex');
const CURVE25519_OID = Buffer.from('2b060104019755010501', 'hex');

export interface TestKey {
  version: 4 | 6;
  /** public-key algorithm: 22 (EdDSALegacy), 27 (Ed25519) or 28 (Ed448) */
  algo: number;
  packet: Packet;
  privateKey: KeyObject;
  fingerprint: Buffer;
  keyId: Buffer;
}

function rawPublic(k: KeyObject): Buffer {
  return Buffer.from(k.export({ format: 'jwk' }).x as string, 'base64url');
}

function time(t: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(t, 0);
  return b;
}

/** An MPI of the given octets (leading zeros stripped, RFC 9580 §3.2). */
function mpi(v: Buffer): Buffer {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  const value = v.subarray(i);
  const bits = value.length === 0 ? 0 : (value.length - 1) * 8 + (32 - Math.clz32(value[0]));
  const hdr = Buffer.alloc(2);
  hdr.writeUInt16BE(bits, 0);
  return Buffer.concat([hdr, value]);
}

/** v4/v6 key packet body: version ‖ time ‖ algorithm ‖ [v6: 4-octet material length] ‖ material. */
function keyBody(version: 4 | 6, created: number, algo: number, material: Buffer): Buffer {
  if (version === 4) return Buffer.concat([Buffer.from([4]), time(created), Buffer.from([algo]), material]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(material.length, 0);
  return Buffer.concat([Buffer.from([6]), time(created), Buffer.from([algo]), len, material]);
}

/** A signing primary key: v4 EdDSALegacy or v6 Ed25519. */
export function signingKey(version: 4 | 6, created = 1_700_000_000, tag: number = Tag.PublicKey): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const pub = rawPublic(publicKey);
  const body =
    version === 4
      ? keyBody(4, created, 22, Buffer.concat([Buffer.from([LEGACY_ED25519_OID.length]), LEGACY_ED25519_OID, mpi(Buffer.concat([Buffer.from([0x40]), pub]))]))
      : keyBody(6, created, 27, pub);
  return testKey(version, version === 4 ? 22 : 27, encodePacket(tag, body), privateKey);
}

/** A v6 Ed448 signing primary key (algorithm 28, 57-octet native key, RFC 9580 §5.5.5.10). */
export function ed448SigningKey(created = 1_700_000_000): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed448');
  return testKey(6, 28, encodePacket(Tag.PublicKey, keyBody(6, created, 28, rawPublic(publicKey))), privateKey);
}

function testKey(version: 4 | 6, algo: number, packet: Packet, privateKey: KeyObject): TestKey {
  const id = keyIdentity(packet.body);
  return { version, algo, packet, privateKey, fingerprint: id.fingerprint, keyId: id.keyId };
}

/** An encryption subkey: v4 ECDH over Curve25519 (KDF SHA-256 / AES-128) or v6 X25519. */
export function encryptionSubkey(version: 4 | 6, created = 1_700_000_000): Packet {
  const pub = rawPublic(generateKeyPairSync('x25519').publicKey);
  const body =
    version === 4
      ? keyBody(
          4,
          created,
          18,
          Buffer.concat([
            Buffer.from([CURVE25519_OID.length]),
            CURVE25519_OID,
            mpi(Buffer.concat([Buffer.from([0x40]), pub])),
            Buffer.from([3, 1, 8, 7]),
          ]),
        )
      : keyBody(6, created, 25, pub);
  return encodePacket(Tag.PublicSubkey, body);
}

export function userId(text: string): Packet {
  return encodePacket(Tag.UserId, Buffer.from(text, 'utf8'));
}

function subpacket(type: number, data: Buffer): Buffer {
  if (data.length + 1 >= 192) throw new Error('long subpackets are not needed here');
  return Buffer.concat([Buffer.from([data.length + 1, type]), data]);
}

export interface SigOptions {
  /** signature type (RFC 9580 §5.2.1) */
  type: number;
  created?: number;
  /** key flags (subpacket 27), first octet */
  keyFlags?: number;
  /** reason for revocation (subpacket 29) */
  reason?: { code: number; text: string };
  /** more hashed subpackets, appended as given */
  extra?: { type: number; critical?: boolean; data: Buffer }[];
  /** hash algorithm (RFC 9580 §9.5): 8 SHA-256 (the default), 10 SHA-512 or 11 SHA-224 */
  hash?: 8 | 10 | 11;
  /** signature version, if not the signer's */
  version?: 4 | 6;
}

/** node:crypto name and v6 salt size of the hashes SigOptions offers (RFC 9580 §9.5). */
const HASHES = { 8: { name: 'sha256', salt: 16 }, 10: { name: 'sha512', salt: 32 }, 11: { name: 'sha224', salt: 16 } };

/**
 * A signature by `signer` over `primary` (the key being signed) and, for certifications and
 * bindings, `component` (a User ID or subkey packet). The signature version is the signer's
 * unless `opts.version` says otherwise.
 */
export function signature(signer: TestKey, primary: Packet, component: Packet | undefined, opts: SigOptions): Packet {
  const v = opts.version ?? signer.version;
  const algo = signer.algo;
  const hash = opts.hash ?? 8;
  const hashed: Buffer[] = [subpacket(2, time(opts.created ?? 1_700_000_100)), subpacket(33, Buffer.concat([Buffer.from([signer.version]), signer.fingerprint]))];
  if (opts.keyFlags !== undefined) hashed.push(subpacket(27, Buffer.from([opts.keyFlags])));
  if (opts.reason) hashed.push(subpacket(29, Buffer.concat([Buffer.from([opts.reason.code]), Buffer.from(opts.reason.text, 'utf8')])));
  for (const x of opts.extra ?? []) hashed.push(subpacket(x.type | (x.critical ? 0x80 : 0), x.data));
  const hashedArea = Buffer.concat(hashed);
  const unhashedArea = v === 4 ? subpacket(16, signer.keyId) : Buffer.alloc(0);
  const lenField = (n: number) => {
    const b = Buffer.alloc(v === 4 ? 2 : 4);
    if (v === 4) b.writeUInt16BE(n, 0);
    else b.writeUInt32BE(n, 0);
    return b;
  };
  const prefix = Buffer.concat([Buffer.from([v, opts.type, algo, hash]), lenField(hashedArea.length), hashedArea]);
  const trailer = Buffer.alloc(6);
  trailer[0] = v;
  trailer[1] = 0xff;
  trailer.writeUInt32BE(prefix.length, 2);
  const salt = v === 6 ? randomBytes(HASHES[hash].salt) : undefined;

  const h = createHash(HASHES[hash].name);
  if (salt) h.update(salt);
  h.update(keyHashPrefix(primary.body)).update(primary.body);
  if (component?.tag === Tag.UserId || component?.tag === Tag.UserAttribute) {
    const hdr = Buffer.alloc(5);
    hdr[0] = component.tag === Tag.UserId ? 0xb4 : 0xd1;
    hdr.writeUInt32BE(component.body.length, 1);
    h.update(hdr).update(component.body);
  } else if (component) {
    h.update(keyHashPrefix(component.body)).update(component.body);
  }
  const digest = h.update(prefix).update(trailer).digest();
  const raw = sign(null, digest, signer.privateKey);
  const material = algo === 22 ? Buffer.concat([mpi(raw.subarray(0, 32)), mpi(raw.subarray(32))]) : raw;
  const body = Buffer.concat([
    prefix,
    lenField(unhashedArea.length),
    unhashedArea,
    digest.subarray(0, 2),
    salt ? Buffer.concat([Buffer.from([salt.length]), salt]) : Buffer.alloc(0),
    material,
  ]);
  return encodePacket(Tag.Signature, body);
}
