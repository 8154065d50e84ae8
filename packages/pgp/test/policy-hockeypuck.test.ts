/**
 * Hockeypuck's key normalisation (policies/hockeypuck.ts) against what real Hockeypuck 2.3.3 and
 * 2.4-beta2 stored for the Debian keyrings (test-fixtures/vectors/hockeypuck,
 * docs/sks-key-hash.md §8), then its hard-revocation rule (HIP-5) and v6 keys on keys generated
 * here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { flattenKey, parseKey, PublicKey } from '../src/key';
import { isKeyringError, splitKeyring } from '../src/keyring';
import { dedupKey } from '../src/merge';
import { Packet, splitPackets, Tag } from '../src/packet';
import { hockeypuckView, HockeypuckVariant, HockeypuckView } from '../src/policies/hockeypuck';
import { parseGoKey } from '../src/policies/hockeypuck-parse';
import { normalizeKey } from '../src/policies/sks';
import { peekSignatureType } from '../src/signature';
import { sksKeyHash, sksPacketsHash } from '../src/skshash';
import { verifySelfSignatures } from '../src/verify';
import { encryptionSubkey, signature, signingKey, TestKey, userId } from './helpers/ed25519-keys';

const VARIANTS: [HockeypuckVariant, string][] = [
  ['2.3', '2.3.3'],
  ['2.4', '2.4-beta2'],
];
const KEYRINGS = ['debian-keyring', 'debian-maintainers', 'debian-nonupload', 'debian-role-keys'];

function kept(v: HockeypuckView): Packet[] {
  if ('reason' in v) throw new Error(`refused: ${v.reason}: ${v.message}`);
  return v.kept;
}

function hex(b: Buffer): string {
  return b.toString('hex');
}

/** A key as dkeyserv stores it, for any key version (normalizeKey's 'sks' policy stops at v4). */
function storedKey(packets: Packet[]): PublicKey {
  return dedupKey(parseKey(packets));
}

describe('Debian keyrings: the md5 Hockeypuck stores', () => {
  const keys = new Map<string, PublicKey[]>();
  const byFingerprint = new Map<string, PublicKey>();
  beforeAll(() => {
    for (const ring of KEYRINGS) {
      const list: PublicKey[] = [];
      for (const e of splitKeyring(readFileSync(`/usr/share/keyrings/${ring}.gpg`))) {
        if (isKeyringError(e)) throw e.error;
        const key = normalizeKey(e.packets);
        list.push(key);
        byFingerprint.set(hex(key.fingerprint), key);
      }
      keys.set(ring, list);
    }
  });

  const cases = KEYRINGS.flatMap((ring) => VARIANTS.map(([variant, tag]) => [ring, variant, tag] as const));
  test.each(cases)('%s under %s: the hash set equals Hockeypuck %s’s', (ring, variant, tag) => {
    const want = readFileSync(join(__dirname, '../../../test-fixtures/vectors/hockeypuck', `hp-${tag}-${ring}.hashes`), 'utf8').trim().split('\n');
    const got: string[] = [];
    const refused: string[] = [];
    const t0 = process.hrtime.bigint();
    const list = keys.get(ring)!;
    for (const key of list) {
      const v = hockeypuckView(key, variant);
      if ('reason' in v) refused.push(hex(key.fingerprint));
      else got.push(hex(sksPacketsHash(v.kept)));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (ring === 'debian-keyring') console.log(`hockeypuckView ${variant}: ${list.length} keys in ${ms.toFixed(0)} ms, ${((list.length * 1000) / ms).toFixed(0)} keys/s`);
    expect(got.length).toBe(want.length);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...want].sort());
    expect(refused).toEqual(ring === 'debian-keyring' ? ['a36878f464108681600cb64844173fa13d058888'] : []);
  });

  test.each(VARIANTS)('under %s the key whose self-signatures all use RIPEMD-160 is refused', (variant) => {
    const v = hockeypuckView(byFingerprint.get('a36878f464108681600cb64844173fa13d058888')!, variant);
    expect(v).toEqual({ reason: 'no-valid-self-signatures', message: expect.stringContaining('hash algorithm 3, RIPEMD-160') });
  });

  /** Packets of the key that Hockeypuck does not keep. */
  function dropped(fpr: string, variant: HockeypuckVariant): { key: PublicKey; dropped: Set<Packet> } {
    const key = byFingerprint.get(fpr)!;
    const k = new Set(kept(hockeypuckView(key, variant)));
    const all = flattenKey(key);
    // nothing is re-encoded: every kept packet is one of the key's own
    expect([...k].every((p) => all.includes(p))).toBe(true);
    expect(sksPacketsHash([...k]).equals(sksKeyHash(key))).toBe(false);
    return { key, dropped: new Set(all.filter((p) => !k.has(p))) };
  }

  describe.each(VARIANTS)('difference classes under %s', (variant) => {
    test.each([
      '1984860920b60ced8d13093747d37f29e62eb8ff',
      '97304066e5aefac22683d03d4fb3b4d37ef63b2e',
      '1b8cf656ef3b84472f48f0e782fbf7060b2f7d00',
      'ba60bc20f37e59444d6d25001365720913d2f22d',
      'c4d91fdfcef6b4a3c653fd7890a0ef1b8251a889',
    ])('drop:UAT — %s loses its User Attributes with all their signatures, nothing else', (fpr) => {
      const { key, dropped: gone } = dropped(fpr, variant);
      const uats = key.uids.filter((c) => c.packet.tag === Tag.UserAttribute);
      expect(uats.length).toBeGreaterThan(0);
      const want = new Set(uats.flatMap((c) => [c.packet, ...c.sigs]));
      expect(gone).toEqual(want);
    });

    test.each([
      ['a6c7b88b9583046a11c5403e0b00fb6cebe2d002', '914d219d'],
      ['5d3e052646729e4e85f05b3fd929f2992bef0a33', 'cb6fe781'],
      ['3ed52fee3d7080106d89d734eed5716b078e43d4', 'a52f57a1'],
    ])('drop:unparseable — %s loses its RSA subkey with exponent 0x%s and the signatures after it', (fpr, exponent) => {
      const { key, dropped: gone } = dropped(fpr, variant);
      const bad = key.subkeys.filter((c) => 'error' in parseGoKey(c.packet.body, variant));
      expect(bad).toHaveLength(1);
      const body = bad[0].packet.body;
      expect(body[5]).toBe(1); // RSA
      // the exponent MPI: 32 bits, the last 4 octets of the packet
      expect(hex(body.subarray(body.length - 6))).toBe(`0020${exponent}`);
      expect(parseGoKey(body, variant)).toEqual({ error: 'unsupported feature: large public exponent' });
      expect(gone).toEqual(new Set([bad[0].packet, ...bad[0].sigs]));
    });

    test.each([
      ['249cb3771750745d5cdd323ce267b052364f028d', 2],
      ['012e4a0679e14efcdaae9472d39d8d29baf36df8', 8],
      ['07948ffa64160a425bcd27eac732b1d1c28f4e2f', 2],
    ])('drop:structuralMartian — %s loses the %i certifications stored before any User ID', (fpr, n) => {
      const { key, dropped: gone } = dropped(fpr, variant);
      const misplaced = key.directSigs.filter((p) => {
        const t = peekSignatureType(p.body);
        return t >= 0x10 && t <= 0x13;
      });
      expect(misplaced).toHaveLength(n);
      for (const p of misplaced) expect(gone.has(p)).toBe(true);
      // anything else that goes is another copy of one of them, misplaced under a subkey or under
      // a User ID it does not certify (drop:implausible: its hash tag does not fit)
      for (const p of gone) {
        if (misplaced.includes(p)) continue;
        expect(misplaced.some((m) => m.body.equals(p.body))).toBe(true);
        expect(key.directSigs.includes(p)).toBe(false);
      }
    });
  });
});

describe('hard revocations (HIP-5), on generated v4 Ed25519 keys', () => {
  /**
   * primary (EdDSALegacy) with a third-party direct-key signature, a key revocation, a User ID
   * with its positive self-certification and a third-party certification, and an ECDH subkey
   * with its binding.
   */
  function revokedKey(reason: number | undefined) {
    const owner = signingKey(4);
    const friend = signingKey(4);
    const pk = owner.packet;
    const uid = userId('Alice <alice@example.org>');
    const sub = encryptionSubkey(4);
    const revocation = signature(owner, pk, undefined, {
      type: 0x20,
      created: 1_700_001_000,
      reason: reason === undefined ? undefined : { code: reason, text: 'test' },
    });
    const thirdDirect = signature(friend, pk, undefined, { type: 0x1f });
    const selfCert = signature(owner, pk, uid, { type: 0x13, keyFlags: 0x03 });
    const thirdCert = signature(friend, pk, uid, { type: 0x10 });
    const binding = signature(owner, pk, sub, { type: 0x18, keyFlags: 0x0c });
    const packets = [pk, revocation, thirdDirect, uid, selfCert, thirdCert, sub, binding];
    return { key: storedKey(packets), packets, owner, friend, revocation, binding };
  }

  test('the generated signatures verify (dkeyserv’s own verifier)', () => {
    const { key } = revokedKey(1);
    expect(verifySelfSignatures(key)).toMatchObject({ revoked: true, uids: [{ valid: true }], subkeys: [{ valid: true }], unsupported: 0 });
  });

  describe.each(VARIANTS.map(([v]) => v))('under %s', (variant) => {
    test.each([
      ['no reason subpacket', undefined],
      ['reason 0 (no reason)', 0],
      ['reason 2 (key compromised)', 2],
    ])('%s is hard: User IDs and third-party signatures go', (_name, reason) => {
      const { key, packets } = revokedKey(reason);
      const [pk, revocation, , , , , sub, binding] = packets;
      expect(kept(hockeypuckView(key, variant))).toEqual([pk, revocation, sub, binding]);
    });

    test.each([
      ['reason 1 (key superseded)', 1],
      ['reason 3 (key retired)', 3],
      ['reason 32 (User ID no longer valid)', 32],
    ])('%s is soft: everything is kept', (_name, reason) => {
      const { key, packets } = revokedKey(reason);
      const view = kept(hockeypuckView(key, variant));
      expect(view).toEqual(packets);
      expect(sksPacketsHash(view).equals(sksKeyHash(key))).toBe(true);
    });

    test('a hard revocation that does not verify changes nothing (and is dropped)', () => {
      const { key, packets } = revokedKey(0);
      const forged = signature(signingKey(4), packets[0], undefined, { type: 0x20, reason: { code: 0, text: 'forged' } });
      // same issuer fields as the owner's: splice the owner's issuer fingerprint and key ID in
      const owner = key.fingerprint;
      const body = Buffer.from(forged.body);
      body.set(owner, body.indexOf(Buffer.from([22, 33, 4])) + 3);
      const kid = body.lastIndexOf(Buffer.from([9, 16])) + 2;
      body.set(key.keyId, kid);
      const fake = { tag: Tag.Signature, body, raw: body };
      const withFake = storedKey([packets[0], fake, ...packets.slice(2)]);
      expect(kept(hockeypuckView(withFake, variant))).toEqual([packets[0], ...packets.slice(2)]);
    });

    test('a revoked key with nothing else left is still stored (the revocation counts)', () => {
      const { packets } = revokedKey(2);
      const bare = storedKey([packets[0], packets[1], packets[3], packets[4]]);
      expect(kept(hockeypuckView(bare, variant))).toEqual([packets[0], packets[1]]);
    });

    test('a key with no valid self-signature evaporates', () => {
      const { packets } = revokedKey(1);
      const friend = signingKey(4);
      const uid = packets[3];
      const key = storedKey([packets[0], uid, signature(friend, packets[0], uid, { type: 0x13 })]);
      expect(hockeypuckView(key, variant)).toEqual({ reason: 'no-valid-self-signatures', message: expect.stringContaining('no self-signature') });
    });
  });
});

describe('go-crypto parse rules, on generated v4 keys', () => {
  function base() {
    const owner = signingKey(4);
    const pk = owner.packet;
    const uid = userId('Bob <bob@example.org>');
    const cert = signature(owner, pk, uid, { type: 0x13, keyFlags: 0x03 });
    return { owner, pk, uid, cert };
  }

  test.each(VARIANTS.map(([v]) => v))('%s: a User ID with a NUL octet goes with its signatures', (variant) => {
    const { owner, pk, uid, cert } = base();
    const nul = userId('Mallory\u0000 <m@example.org>');
    const nulCert = signature(owner, pk, nul, { type: 0x13 });
    const key = storedKey([pk, uid, cert, nul, nulCert]);
    expect(kept(hockeypuckView(key, variant))).toEqual([pk, uid, cert]);
  });

  test.each(VARIANTS.map(([v]) => v))('%s: a self-signature with a critical unknown subpacket is unreadable', (variant) => {
    const { owner, pk, uid, cert } = base();
    const critical = signature(owner, pk, uid, { type: 0x13, created: 1_700_000_300, extra: [{ type: 100, critical: true, data: Buffer.from('x') }] });
    const harmless = signature(owner, pk, uid, { type: 0x13, created: 1_700_000_400, extra: [{ type: 100, data: Buffer.from('x') }] });
    const key = storedKey([pk, uid, cert, critical, harmless]);
    expect(verifySelfSignatures(key).uids[0].valid).toBe(true);
    expect(kept(hockeypuckView(key, variant))).toEqual([pk, uid, cert, harmless]);
  });

  test.each(VARIANTS.map(([v]) => v))('%s: a signing subkey needs a valid cross-signature', (variant) => {
    const { owner, pk, uid, cert } = base();
    const signer = signingKey(4, 1_700_000_000, Tag.PublicSubkey);
    const unbacked = signature(owner, pk, signer.packet, { type: 0x18, keyFlags: 0x02 });
    const back = signature(signer, pk, signer.packet, { type: 0x19 });
    const backed = signature(owner, pk, signer.packet, { type: 0x18, keyFlags: 0x02, created: 1_700_000_500, extra: [{ type: 32, data: back.body }] });
    expect(kept(hockeypuckView(storedKey([pk, uid, cert, signer.packet, unbacked]), variant))).toEqual([pk, uid, cert]);
    expect(kept(hockeypuckView(storedKey([pk, uid, cert, signer.packet, unbacked, backed]), variant))).toEqual([pk, uid, cert, signer.packet, backed]);
  });

  test.each(VARIANTS.map(([v]) => v))('%s: packets over 8192 octets are skipped, and the signatures after them stay in the previous context', (variant) => {
    const { owner, pk, uid, cert } = base();
    const friend = signingKey(4);
    const friendCert = signature(friend, pk, uid, { type: 0x10 });
    const withPhoto = (size: number) => {
      const photo = { tag: Tag.UserAttribute, body: Buffer.alloc(size, 1), raw: Buffer.alloc(0) };
      return storedKey([pk, uid, cert, photo, signature(owner, pk, photo, { type: 0x13 }), friendCert]);
    };
    // a small photo (User Attribute) is refused as tag 17: the signatures after it go with it
    expect(kept(hockeypuckView(withPhoto(100), variant))).toEqual([pk, uid, cert]);
    // a photo of 9000 octets is skipped by the packet limit: the signatures after it are read as
    // the User ID's; the photo's self-signature then fails, the User ID's certification stays
    expect(kept(hockeypuckView(withPhoto(9000), variant))).toEqual([pk, uid, cert, friendCert]);
  });

  test.each(VARIANTS.map(([v]) => v))('%s: a primary RSA key with a 32-bit exponent is refused', (variant) => {
    const body = Buffer.concat([Buffer.from([4, 0x65, 0x53, 0xf1, 0x00, 1, 0x00, 0x40]), Buffer.alloc(8, 0xc5), Buffer.from([0x00, 0x20, 0x91, 0x4d, 0x21, 0x9d])]);
    const { uid } = base();
    const key = storedKey([{ tag: Tag.PublicKey, body, raw: body }, uid]);
    expect(hockeypuckView(key, variant)).toEqual({ reason: 'unparseable-primary-key', message: expect.stringContaining('large public exponent') });
  });
});

describe('v6 keys', () => {
  async function openpgpV6Key(): Promise<PublicKey> {
    const { publicKey } = await openpgp.generateKey({
      type: 'curve25519',
      userIDs: [{ name: 'Six', email: 'six@example.org' }],
      format: 'binary',
      config: { v6Keys: true },
    });
    return storedKey(splitPackets(Buffer.from(publicKey)));
  }

  test('an openpgp.js v6 Ed25519 key (direct-key signature, User ID, X25519 subkey) is stored whole by both', async () => {
    const key = await openpgpV6Key();
    expect(key.version).toBe(6);
    expect(key.primary.body[5]).toBe(27);
    expect(key.directSigs.length).toBeGreaterThan(0);
    expect(key.directSigs[0].body[0]).toBe(6);
    // Hockeypuck 2.4-beta2 advertises "versions:3+4+6+rfc9980"; 2.3.3 advertises "versions:34"
    // but its go-crypto already parses v6 keys and salted v6 signatures, and nothing in 2.3.3
    // refuses them, so it stores them the same way
    for (const variant of ['2.4', '2.3'] as const) {
      const view = kept(hockeypuckView(key, variant));
      expect(view).toEqual(flattenKey(key));
    }
  });

  test('a hand-built v6 key: bad self-signatures and a v4 subkey', () => {
    const owner = signingKey(6);
    const pk = owner.packet;
    const uid = userId('Six <six@example.org>');
    const sub6 = encryptionSubkey(6);
    const sub4 = encryptionSubkey(4);
    const direct = signature(owner, pk, undefined, { type: 0x1f, keyFlags: 0x03 });
    const cert = signature(owner, pk, uid, { type: 0x13 });
    const bind6 = signature(owner, pk, sub6, { type: 0x18, keyFlags: 0x0c });
    const bind4 = signature(owner, pk, sub4, { type: 0x18, keyFlags: 0x0c });
    const other: TestKey = signingKey(6);
    const thirdCert = signature(other, pk, uid, { type: 0x10 });
    // a salt of the wrong size for SHA-256: go-crypto refuses to parse the signature
    const badSalt = signature(owner, pk, uid, { type: 0x13, created: 1_700_000_200 });
    const body = Buffer.from(badSalt.body);
    const saltAt = body.length - 64 - 17;
    expect(body[saltAt]).toBe(16);
    const broken = Buffer.concat([body.subarray(0, saltAt), Buffer.from([15]), body.subarray(saltAt + 2)]);
    const badSaltPacket = { tag: Tag.Signature, body: broken, raw: broken };
    const key = storedKey([pk, direct, uid, cert, thirdCert, badSaltPacket, sub6, bind6, sub4, bind4]);
    // RFC 9580 §10.1: a v6 key's subkeys are v6, so the v4 subkey is not bound in the stored validity either
    expect(verifySelfSignatures(key)).toMatchObject({ uids: [{ valid: true }], subkeys: [{ valid: true }, { valid: false }] });
    // 2.4 refuses a binding across key versions (ErrMismatchedPacketVersion); 2.3.3 does not check
    expect(kept(hockeypuckView(key, '2.4'))).toEqual([pk, direct, uid, cert, thirdCert, sub6, bind6]);
    expect(kept(hockeypuckView(key, '2.3'))).toEqual([pk, direct, uid, cert, thirdCert, sub6, bind6, sub4, bind4]);
  });
});
