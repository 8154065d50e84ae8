/**
 * Keys the tests make themselves, for cases real keyrings do not hold: a v3 key (made with
 * node:crypto, since current gpg cannot create one), v6 and secret keys (openpgp.js), and a
 * signature flood. All packets are built here byte by byte per RFC 4880 / RFC 9580.
 */
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import * as openpgp from 'openpgp';

function oldPacket(tag: number, body: Buffer): Buffer {
  // old format, two-octet length (RFC 4880 §4.2.1)
  return Buffer.concat([Buffer.from([0x80 | (tag << 2) | 1, body.length >> 8, body.length & 0xff]), body]);
}

function mpi(value: Buffer): Buffer {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  const bits = (v.length - 1) * 8 + (32 - Math.clz32(v[0]));
  return Buffer.concat([Buffer.from([bits >> 8, bits & 0xff]), v]);
}

/** A v3 RSA key with one UID and a v3 positive certification (MD5), as PGP 2.x made them. */
export function makeV3Key(uid = 'Version Three <v3@example.org>', created = 946684800): Buffer {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = Buffer.from(jwk.n!, 'base64url');
  const e = Buffer.from(jwk.e!, 'base64url');
  const ctime = Buffer.alloc(4);
  ctime.writeUInt32BE(created);
  const keyBody = Buffer.concat([Buffer.from([3]), ctime, Buffer.from([0, 0, 1]), mpi(n), mpi(e)]);
  const keyId = n.subarray(n.length - 8);
  const uidBody = Buffer.from(uid, 'utf8');
  const sigType = 0x13;
  const hashed = Buffer.concat([Buffer.from([0x99, keyBody.length >> 8, keyBody.length & 0xff]), keyBody, uidBody, Buffer.from([sigType]), ctime]);
  const digest = createHash('md5').update(hashed).digest();
  const sig = sign('md5', hashed, privateKey);
  const sigBody = Buffer.concat([Buffer.from([3, 5, sigType]), ctime, keyId, Buffer.from([1, 1]), digest.subarray(0, 2), mpi(sig)]);
  return Buffer.concat([oldPacket(6, keyBody), oldPacket(13, uidBody), oldPacket(2, sigBody)]);
}

/** A v6 Ed25519 key (RFC 9580) from openpgp.js: public and secret transferable keys, binary. */
export async function makeV6Key(email = 'six@example.org'): Promise<{ publicKey: Buffer; secretKey: Buffer }> {
  const k = await openpgp.generateKey({
    type: 'curve25519',
    userIDs: [{ name: 'Version Six', email }],
    format: 'binary',
    config: { v6Keys: true },
  });
  return { publicKey: Buffer.from(k.publicKey), secretKey: Buffer.from(k.privateKey) };
}

/** A v4 Ed25519 key from openpgp.js: public and secret transferable keys, binary. */
export async function makeV4Key(email = 'four@example.org'): Promise<{ publicKey: Buffer; secretKey: Buffer }> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Version Four', email }], format: 'binary' });
  return { publicKey: Buffer.from(k.publicKey), secretKey: Buffer.from(k.privateKey) };
}

/**
 * `keyBytes` followed by `count` distinct junk third-party signatures on its first UID
 * position (appended at the end of the key, which keeps the grammar only if the key has no
 * subkeys; callers pass a key without subkeys).
 */
export function floodSignatures(keyBytes: Buffer, count: number): Buffer {
  const parts = [keyBytes];
  for (let i = 0; i < count; i++) {
    const body = Buffer.alloc(40);
    body[0] = 4; // v4 signature
    body[1] = 0x10; // generic certification
    body[2] = 1; // RSA
    body[3] = 8; // SHA-256
    body.writeUInt32BE(i, 8);
    parts.push(oldPacket(2, body));
  }
  return Buffer.concat(parts);
}
