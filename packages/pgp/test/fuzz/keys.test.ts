/**
 * Fuzzing the key parser (docs/architecture.md §8): packet lists from mutated valid keys either
 * parse or raise a PgpError, in the pgp package (parseKey, normalizeKey, keyIdentity,
 * publicKeyInfo) and on the store's whole preparation path (prepareKey: normalise, verify,
 * hash, index terms); never another error or super-linear time.
 */
import fc from 'fast-check';
import { encodePacket, keyIdentity, normalizeKey, parseKey, PgpError, publicKeyInfo, splitPackets } from '@dkeyserv/pgp';
import type { Packet } from '@dkeyserv/pgp';
import { prepareKey } from '@dkeyserv/db';
import { expectLinear } from '../../../../test/helpers/growth';
import { mutated, parsesOrTypedError } from '../../../../test/helpers/mutate';
import { builtKey, KEYS } from './corpus';
import { signature, signingKey, userId } from '../helpers/ed25519-keys';

const RUNS = { seed: 1202, numRuns: 600 };

/** Packet lists: mutated bytes that still split, or valid packets reordered/dropped/repeated. */
const packetLists: fc.Arbitrary<Packet[]> = fc.oneof(
  mutated(KEYS).map((b) => {
    try {
      return splitPackets(b);
    } catch {
      return splitPackets(KEYS[0]);
    }
  }),
  fc.constantFrom(...KEYS).chain((k) => {
    const packets = splitPackets(k);
    return fc.array(fc.constantFrom(...packets), { maxLength: 2 * packets.length });
  }),
  fc.array(fc.tuple(fc.integer({ min: 0, max: 63 }), fc.uint8Array({ maxLength: 64 })), { maxLength: 12 }).map((ps) => ps.map(([tag, body]) => encodePacket(tag, Buffer.from(body)))),
);

describe('key parser: parses or PgpError', () => {
  test('parseKey and normalizeKey', () => {
    fc.assert(
      fc.property(packetLists, (packets) => {
        parsesOrTypedError([PgpError], () => parseKey(packets));
        parsesOrTypedError([PgpError], () => normalizeKey(packets, [2, 3, 4, 5, 6]));
      }),
      RUNS,
    );
  });

  test('keyIdentity throws only PgpError; publicKeyInfo never throws', () => {
    fc.assert(
      fc.property(packetLists, (packets) => {
        for (const p of packets) {
          parsesOrTypedError([PgpError], () => keyIdentity(p.body));
          publicKeyInfo(p.body);
        }
      }),
      RUNS,
    );
  });

  test('prepareKey (the store path) returns a key or a rejection', () => {
    const opts = { policies: ['sks', 'hockeypuck', 'hockeypuck-2.4'] as const, limits: { maxPackets: 20_000, maxKeyBytes: 8 << 20 }, packetLimits: { maxPacketBytes: 8 << 20 } };
    fc.assert(
      fc.property(packetLists, (packets) => {
        const r = prepareKey(packets, { ...opts, policies: [...opts.policies] });
        expect(r).toBeDefined();
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});

describe('key parser: linear time', () => {
  test('a self-signed key whose User ID is x < and 80,000 × a@ is prepared at once (issue 12)', () => {
    const k = signingKey(4);
    const uid = userId('x <' + 'a@'.repeat(80_000));
    const packets = [k.packet, uid, signature(k, k.packet, uid, { type: 0x13, keyFlags: 0x03 })];
    const t = Date.now();
    const r = prepareKey(packets);
    expect(Date.now() - t).toBeLessThan(2000); // 17 s with the old e-mail patterns
    // 160 KB is over the User ID limit (key-shape.ts): refused before any parsing of its text
    expect(r).toMatchObject({ status: 'rejected', reason: 'user-id-too-long' });
  });

  test('the same shape at the User ID limit (2 KiB) is prepared and has no e-mail', () => {
    const k = signingKey(4);
    const uid = userId('x <' + 'a@'.repeat(1_000));
    const packets = [k.packet, uid, signature(k, k.packet, uid, { type: 0x13, keyFlags: 0x03 })];
    const r = prepareKey(packets);
    expect('terms' in r && r.terms.email).toEqual([]);
  });

  const [primary, direct, uid, uidSig] = builtKey(4);

  /** n signatures of one length and one tail that differ in their first bytes. */
  const sameTail = (n: number): Packet[] =>
    Array.from({ length: n }, (_, i) => {
      const body = Buffer.from(direct.body);
      body.writeUInt32BE(i, 8); // inside the hashed area, far from the tail
      return encodePacket(direct.tag, body);
    });

  test('19,999 direct signatures with the same tail (the 20,000-packet limit) normalise at once', () => {
    const packets = [primary, ...sameTail(19_999)];
    const t = Date.now();
    expect(normalizeKey(packets).directSigs).toHaveLength(19_999);
    expect(Date.now() - t).toBeLessThan(3000); // about 40 s with the tail buckets; about 50 ms now
  });

  test('many direct signatures with the same tail (dedup buckets)', () => {
    expectLinear('normalizeKey', (n) => [primary, ...sameTail(n)], (ps) => normalizeKey(ps), 1000);
  });

  test('a repeated UID with many signatures with the same tail', () => {
    expectLinear('normalizeKey', (n) => [primary, uid, ...sameTail(n), uid, uidSig], (ps) => normalizeKey(ps), 1000);
  });

  test('many long direct signatures of one length (V8 hashes strings over 16,383 characters by length)', () => {
    // a 20 KB signature body differing from the others only in its last bytes
    const long = (n: number): Packet[] =>
      Array.from({ length: n }, (_, i) => {
        const body = Buffer.alloc(20_000, direct.body);
        body.writeUInt32BE(i, body.length - 4);
        return encodePacket(direct.tag, body);
      });
    expectLinear('normalizeKey', (n) => [primary, ...long(n)], (ps) => normalizeKey(ps), 50);
  });

  test('many UIDs', () => {
    const make = (n: number) => [primary, ...Array.from({ length: n }, (_, i) => [encodePacket(13, Buffer.from(`u${i} <u${i}@x.org>`)), uidSig]).flat()];
    expectLinear('normalizeKey', make, (ps) => normalizeKey(ps), 1000);
  });
});
