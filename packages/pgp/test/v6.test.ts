/**
 * v6 keys (RFC 9580), docs/sks-key-hash.md §7 and docs/recon-policies.md: the key packet (4-octet
 * material length, native Ed25519/Ed448/X25519/X448 material), the SHA2-256 fingerprint and the
 * key ID (its first 8 octets), self-signatures (salt hashed first, v6 trailer) made by openpgp.js
 * and by node:crypto, tampering, the RFC 9580 rules on versions and digest sizes, and which recon
 * policies hold v6 keys.
 */
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import {
  flattenKey,
  KeyStructureError,
  keyIdentity,
  normalizeKey,
  Packet,
  parseKey,
  parseSignature,
  publicKeyInfo,
  RECON_POLICIES,
  sksPacketsHash,
  splitPackets,
  storedVersions,
  verifySelfSignatures,
} from '../src';
import { keyHashPrefix } from '../src/fingerprint';
import { encodePacket, Tag } from '../src/packet';
import { ed448SigningKey, encryptionSubkey, signature, signingKey, TestKey, userId } from './helpers/ed25519-keys';

const V6_VERSIONS = storedVersions(['sks', 'hockeypuck-2.4']);

/** A fresh parse of `bytes` (tests mutate the packet views). */
function keyFrom(bytes: Uint8Array) {
  return normalizeKey(splitPackets(Buffer.from(bytes)), V6_VERSIONS);
}

async function openpgpV6(type: 'curve25519' | 'curve448') {
  const k = await openpgp.generateKey({ type, userIDs: [{ name: 'Six', email: 'six@example.org' }], format: 'binary', config: { v6Keys: true } });
  const parsed = await openpgp.readKey({ binaryKey: k.publicKey });
  return { bytes: Buffer.from(k.publicKey), fingerprint: parsed.getFingerprint(), keyId: parsed.getKeyID().toHex() };
}

describe('v6 keys from openpgp.js', () => {
  const cases = [
    ['curve25519', 27, 25, 32, 256],
    ['curve448', 28, 26, 57, 448],
  ] as const;

  test.each(cases)('%s: packets, fingerprint, key ID, native algorithms', async (type, signAlgo, encAlgo, keyBytes, bits) => {
    const made = await openpgpV6(type);
    const key = keyFrom(made.bytes);
    const body = key.primary.body;
    expect(body[0]).toBe(6);
    // version, created(4), algorithm, 4-octet material length, the native key itself
    expect(body.readUInt32BE(6)).toBe(body.length - 10);
    expect(body.length - 10).toBe(keyBytes);
    expect(publicKeyInfo(body)).toMatchObject({ version: 6, algo: signAlgo, bits });
    expect(publicKeyInfo(key.subkeys[0].packet.body)).toMatchObject({ version: 6, algo: encAlgo, bits });
    // SHA2-256 over 0x9B ‖ 4-octet length ‖ body; the key ID is its first 8 octets (RFC 9580 §5.5.4.3)
    const hdr = Buffer.alloc(5);
    hdr[0] = 0x9b;
    hdr.writeUInt32BE(body.length, 1);
    const fingerprint = createHash('sha256').update(hdr).update(body).digest();
    expect(key.fingerprint.equals(fingerprint)).toBe(true);
    expect(key.fingerprint.toString('hex')).toBe(made.fingerprint);
    expect(key.keyId.equals(fingerprint.subarray(0, 8))).toBe(true);
    expect(key.keyId.toString('hex')).toBe(made.keyId);
    expect(keyIdentity(key.subkeys[0].packet.body).fingerprint).toHaveLength(32);
    const sig = parseSignature(key.uids[0].sigs[0].body);
    expect(sig).toMatchObject({ version: 6, pubkeyAlgo: signAlgo, issuerFingerprintVersion: 6 });
    expect(sig.issuerFingerprint?.equals(key.fingerprint)).toBe(true);
    expect(sig.salt?.length).toBe(sig.hashAlgo === 8 ? 16 : 32);
  });

  test.each(cases)('%s: every self-signature verifies; a flipped octet anywhere it covers breaks it', async (type) => {
    const { bytes } = await openpgpV6(type);
    expect(verifySelfSignatures(keyFrom(bytes))).toEqual({
      revoked: false,
      uids: [expect.objectContaining({ valid: true, revoked: false })],
      subkeys: [expect.objectContaining({ valid: true, revoked: false })],
      unsupported: 0,
    });
    const tamper: [string, (k: ReturnType<typeof keyFrom>) => Buffer, number][] = [
      ['salt', (k) => parseSignature(k.uids[0].sigs[0].body).salt!, 0],
      ['signature octets', (k) => k.uids[0].sigs[0].body, -1],
      ['User ID', (k) => k.uids[0].packet.body, 0],
      ['hashed subpacket area', (k) => k.uids[0].sigs[0].body, 12],
    ];
    for (const [what, at, i] of tamper) {
      const k = keyFrom(bytes);
      const b = at(k);
      b[(i + b.length) % b.length] ^= 0x01;
      expect([what, verifySelfSignatures(k).uids[0].valid]).toEqual([what, false]);
    }
    const k = keyFrom(bytes);
    k.subkeys[0].packet.body[k.subkeys[0].packet.body.length - 1] ^= 0x01;
    expect(verifySelfSignatures(k).subkeys[0].valid).toBe(false);
  });

  test('a v6 signing subkey (binding with its embedded back-signature) is bound', async () => {
    const k = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ email: 'sign@example.org' }], subkeys: [{}, { sign: true }], format: 'binary', config: { v6Keys: true } });
    const key = keyFrom(k.publicKey);
    expect(key.subkeys).toHaveLength(2);
    expect(publicKeyInfo(key.subkeys[1].packet.body).algo).toBe(27);
    expect(verifySelfSignatures(key).subkeys.map((c) => c.valid)).toEqual([true, true]);
    for (const name of ['hockeypuck', 'hockeypuck-2.4'] as const) {
      const view = RECON_POLICIES[name].viewPackets(key);
      expect([name, 'packets' in view && view.packets.length]).toEqual([name, flattenKey(key).length]);
    }
  });
});

/** A key of `owner` with one User ID and an X25519 subkey, bound by the given signatures. */
function handBuilt(owner: TestKey, opts: { cert?: Parameters<typeof signature>[3]; subkey?: Packet } = {}): Packet[] {
  const pk = owner.packet;
  const uid = userId('Hand Built <hand@example.org>');
  const sub = opts.subkey ?? encryptionSubkey(6);
  return [pk, uid, signature(owner, pk, uid, { type: 0x13, ...opts.cert }), sub, signature(owner, pk, sub, { type: 0x18, keyFlags: 0x0c })];
}

function validity(packets: Packet[]) {
  const v = verifySelfSignatures(parseKey(packets));
  return { uid: v.uids[0].valid, subkey: v.subkeys[0].valid };
}

describe('hand-built v6 keys (node:crypto)', () => {
  test('Ed25519 over SHA-256 and SHA-512, Ed448 over SHA-512 verify', () => {
    expect(validity(handBuilt(signingKey(6)))).toEqual({ uid: true, subkey: true });
    expect(validity(handBuilt(signingKey(6), { cert: { type: 0x13, hash: 10 } }))).toEqual({ uid: true, subkey: true });
    const ed448 = ed448SigningKey();
    expect(ed448.packet.body.length - 10).toBe(57);
    expect(validity(handBuilt(ed448, { cert: { type: 0x13, hash: 10 } }))).toMatchObject({ uid: true });
  });

  test('RFC 9580 §5.2.3.4/§5.2.3.5: Ed25519 needs a 256-bit digest, Ed448 a 512-bit one', () => {
    expect(validity(handBuilt(signingKey(6), { cert: { type: 0x13, hash: 11 } })).uid).toBe(false);
    // the subkey binding is over SHA-256: too short for Ed448
    expect(validity(handBuilt(ed448SigningKey()))).toEqual({ uid: false, subkey: false });
  });

  test('RFC 9580 §5.2: a v4 signature by a v6 key, or a v6 signature by a v4 key, does not count', () => {
    expect(validity(handBuilt(signingKey(6), { cert: { type: 0x13, version: 4 } })).uid).toBe(false);
    expect(validity(handBuilt(signingKey(4), { cert: { type: 0x13, version: 6 }, subkey: encryptionSubkey(4) })).uid).toBe(false);
    // the same keys with matching versions do
    expect(validity(handBuilt(signingKey(4), { subkey: encryptionSubkey(4) }))).toEqual({ uid: true, subkey: true });
  });

  test('RFC 9580 §10.1: a v6 key cannot bind a v4 subkey', () => {
    expect(validity(handBuilt(signingKey(6), { subkey: encryptionSubkey(4) }))).toEqual({ uid: true, subkey: false });
  });

  test('a v6 key packet whose material length leaves stray octets: nothing it signed verifies', () => {
    const good = signingKey(6);
    const body = Buffer.concat([good.packet.body, Buffer.from([0])]);
    const packet = encodePacket(Tag.PublicKey, body);
    const id = keyIdentity(body);
    const stray: TestKey = { ...good, packet, fingerprint: id.fingerprint, keyId: id.keyId };
    expect(keyHashPrefix(body).readUInt32BE(1)).toBe(body.length);
    expect(validity(handBuilt(stray))).toEqual({ uid: false, subkey: false });
  });
});

describe('recon policies and v6 keys', () => {
  test('sks holds none (with a reason); hockeypuck and hockeypuck-2.4 hash the whole stored key', async () => {
    const { bytes } = await openpgpV6('curve25519');
    const key = keyFrom(bytes);
    expect(RECON_POLICIES.sks.view(key)).toEqual({ reason: 'unsupported-version', message: expect.stringMatching(/sks holds key versions 2, 3, 4 only, not v6/) });
    for (const name of ['hockeypuck', 'hockeypuck-2.4'] as const) {
      const view = RECON_POLICIES[name].view(key);
      if ('reason' in view) throw new Error(`${name}: ${view.message}`);
      expect(view.packets).toEqual(flattenKey(key));
      expect(view.hash.equals(sksPacketsHash(flattenKey(key)))).toBe(true);
    }
  });

  test('a store keeping only sks refuses a v6 key with a reason; with hockeypuck(-2.4) it is stored', async () => {
    const { bytes } = await openpgpV6('curve25519');
    expect(storedVersions(['sks'])).not.toContain(6);
    expect(storedVersions(['sks', 'hockeypuck'])).toContain(6);
    const refuse = () => normalizeKey(splitPackets(bytes), storedVersions(['sks']));
    expect(refuse).toThrow(KeyStructureError);
    expect(refuse).toThrow('v6 keys are not stored: the configured recon policies hash key versions 2, 3, 4 only');
    expect(normalizeKey(splitPackets(bytes), storedVersions(['hockeypuck'])).version).toBe(6);
  });
});
