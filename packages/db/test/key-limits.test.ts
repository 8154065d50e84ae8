/**
 * The cheap limits before any signature check and the per-key time budget of prepareKey
 * (docs/operations.md §13), inline and on a PreparePool; the update path of prepareMerged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePacket, joinPackets, Packet, SigType, Tag } from '@dkeyserv/pgp';
import { inlinePreparer, isRejection, KeyStore, PreparePool, prepareKey, prepareMerged, PrepareOptions } from '@dkeyserv/db';
import { DEFAULT_PREPARE_OPTIONS } from '../src/prepare';
import { signature, signingKey, TestKey, userId } from '../../pgp/test/helpers/ed25519-keys';

/** A v4 RSA key packet (algorithm 1) with the given modulus and exponent bytes. */
function rsaKeyPacket(n: Buffer, e: Buffer): Packet {
  const mpi = (v: Buffer) => {
    const hdr = Buffer.alloc(2);
    hdr.writeUInt16BE((v.length - 1) * 8 + (32 - Math.clz32(v[0])), 0);
    return Buffer.concat([hdr, v]);
  };
  return encodePacket(Tag.PublicKey, Buffer.concat([Buffer.from([4, 0x65, 0x5f, 0x00, 0x00, 1]), mpi(n), mpi(e)]));
}

function oddModulus(bits: number): Buffer {
  const n = Buffer.alloc(bits / 8, 0xa5);
  n[0] = 0xc1;
  n[n.length - 1] = 0x01;
  return n;
}

/** A key with `uids` User IDs, each certified by the key itself. */
function selfSignedKey(uids: number, sigsPerUid = 1): { key: TestKey; packets: Packet[] } {
  const key = signingKey(4);
  const packets: Packet[] = [key.packet];
  for (let i = 0; i < uids; i++) {
    const uid = userId(`user ${i} <u${i}@example.org>`);
    packets.push(uid);
    for (let j = 0; j < sigsPerUid; j++) packets.push(signature(key, key.packet, uid, { type: SigType.CertPositive, created: 1_700_000_100 + j }));
  }
  return { key, packets };
}

function reasonOf(p: ReturnType<typeof prepareKey>): string {
  return isRejection(p) ? p.reason : 'accepted';
}

describe('cheap limits before any signature check', () => {
  const uid = userId('rsa <rsa@example.org>');

  test('an RSA exponent over 2^32+1 is refused, quickly, with the reason', () => {
    const huge = Buffer.alloc(3070 / 8, 0xff);
    const t0 = performance.now();
    const p = prepareKey([rsaKeyPacket(oddModulus(3072), huge), uid]);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(reasonOf(p)).toBe('rsa-exponent-too-large');
    expect(isRejection(p) && p.message).toMatch(/2\^32\+1/);
    // 2^32+2 is one over; 2^32+1 and 65537 pass the limit (and then simply have no valid UID)
    expect(reasonOf(prepareKey([rsaKeyPacket(oddModulus(2048), Buffer.from([1, 0, 0, 0, 2])), uid]))).toBe('rsa-exponent-too-large');
    expect(reasonOf(prepareKey([rsaKeyPacket(oddModulus(2048), Buffer.from([1, 0, 0, 0, 1])), uid]))).toBe('accepted');
    expect(reasonOf(prepareKey([rsaKeyPacket(oddModulus(2048), Buffer.from([1, 0, 1])), uid]))).toBe('accepted');
  });

  test('an RSA modulus over 16384 bits is refused', () => {
    expect(reasonOf(prepareKey([rsaKeyPacket(oddModulus(16384 + 8), Buffer.from([1, 0, 1])), uid]))).toBe('rsa-modulus-too-large');
    expect(reasonOf(prepareKey([rsaKeyPacket(oddModulus(16384), Buffer.from([1, 0, 1])), uid]))).toBe('accepted');
  });

  test('a User ID over 2 KiB is refused (GnuPG does not read it either)', () => {
    const key = signingKey(4);
    const long = userId('x <' + 'a@'.repeat(1100));
    const p = prepareKey([key.packet, long, signature(key, key.packet, long, { type: SigType.CertPositive })]);
    expect(reasonOf(p)).toBe('user-id-too-long');
  });

  test('more signatures on one component than the limit refuse the key whole (its hash stays the peers’)', () => {
    const { packets } = selfSignedKey(1, 6);
    const opts: PrepareOptions = { ...DEFAULT_PREPARE_OPTIONS, shape: { ...DEFAULT_PREPARE_OPTIONS_SHAPE(), maxSigsPerComponent: 5 } };
    const p = prepareKey(packets, opts);
    expect(reasonOf(p)).toBe('too-many-signatures');
    expect(isRejection(p) && p.message).toMatch(/User ID 1 has 6 signatures, over the limit of 5/);
    expect(reasonOf(prepareKey(packets))).toBe('accepted');
  });
});

function DEFAULT_PREPARE_OPTIONS_SHAPE() {
  // the defaults, spelled out: a test of the limit must not depend on them
  return { maxUserIdBytes: 2048, maxSigsPerComponent: 5000, maxKeyPacketBytes: 256 * 1024, maxRsaBits: 16384, maxDsaBits: 4096 };
}

describe('the per-key time budget', () => {
  const { packets } = selfSignedKey(40);

  test('a key whose checks outlast the budget is refused as too-expensive; without one it is stored', () => {
    const p = prepareKey(packets, { ...DEFAULT_PREPARE_OPTIONS, budgetMs: 0 });
    expect(reasonOf(p)).toBe('too-expensive');
    expect(isRejection(p) && p.message).toMatch(/longer than the limit of 0 ms/);
    expect(reasonOf(prepareKey(packets, { ...DEFAULT_PREPARE_OPTIONS, budgetMs: 60_000 }))).toBe('accepted');
    expect(reasonOf(prepareKey(packets))).toBe('accepted');
  });

  test('a policy view that swallows the budget error does not make the key pass', () => {
    const opts: PrepareOptions = { ...DEFAULT_PREPARE_OPTIONS, policies: ['sks', 'hockeypuck'], budgetMs: 0 };
    expect(reasonOf(prepareKey(packets, opts))).toBe('too-expensive');
  });

  test('on a PreparePool (worker threads) the budget and the limits hold the same way', async () => {
    const pool = new PreparePool(1, { ...DEFAULT_PREPARE_OPTIONS, budgetMs: 0 });
    try {
      const huge = rsaKeyPacket(oddModulus(3072), Buffer.alloc(3070 / 8, 0xff));
      const [a, b] = await pool.prepare([joinPackets(packets), joinPackets([huge, userId('r <r@example.org>')])]);
      expect(reasonOf(a)).toBe('too-expensive');
      expect(reasonOf(b)).toBe('rsa-exponent-too-large');
    } finally {
      await pool.close();
    }
  });
});

describe('prepareMerged', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-limits-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('an update prepared merged with the stored version commits like ingest does', async () => {
    const { key, packets } = selfSignedKey(2);
    const extra = userId('later <later@example.org>');
    const update = [key.packet, extra, signature(key, key.packet, extra, { type: SigType.CertPositive })];
    const a = KeyStore.open({ path: join(dir, 'a') });
    const b = KeyStore.open({ path: join(dir, 'b') });
    try {
      expect(a.ingest(packets).status).toBe('new');
      expect(b.ingest(packets).status).toBe('new');
      const viaIngest = a.ingest(update);
      const [viaPrepared] = b.commit(await prepareMerged(b, inlinePreparer(b.prepareOptions), [update]));
      expect(viaPrepared.status).toBe('updated');
      expect(viaPrepared).toEqual(viaIngest);
      expect(Buffer.from(b.get(key.fingerprint)!.packets)).toEqual(Buffer.from(a.get(key.fingerprint)!.packets));
      // nothing new: unchanged
      const [again] = b.commit(await prepareMerged(b, inlinePreparer(b.prepareOptions), [update]));
      expect(again.status).toBe('unchanged');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
