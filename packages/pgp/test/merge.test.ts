import { readFileSync } from 'node:fs';
import {
  encodePacket,
  flattenKey,
  isKeyringError,
  KeyStructureError,
  LimitError,
  mergeKeys,
  normalizeKey,
  Packet,
  sksKeyHash,
  sksPacketsHash,
  splitKeyring,
} from '@dkeyserv/pgp';

function firstKeys(n: number): Packet[][] {
  const out: Packet[][] = [];
  for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
    if (isKeyringError(e)) throw e.error;
    out.push(e.packets);
    if (out.length === n) break;
  }
  return out;
}

describe('key structure, dedup and merge (SKS yminsky.dedup / yminsky.merge)', () => {
  const [packets] = firstKeys(1);
  const key = normalizeKey(packets);

  test('the hash does not depend on packet order or header format', () => {
    const reencoded = packets.map((p) => encodePacket(p.tag, p.body));
    expect(sksPacketsHash(reencoded).equals(sksPacketsHash(packets))).toBe(true);
    expect(sksPacketsHash([...packets].reverse()).equals(sksPacketsHash(packets))).toBe(true);
  });

  test('a repeated UID with its signatures is joined, duplicate signatures dropped', () => {
    const uid = key.uids[0];
    const doubled = [...packets.slice(0, 1 + key.directSigs.length), uid.packet, ...uid.sigs, ...packets.slice(1 + key.directSigs.length)];
    const k2 = normalizeKey(doubled);
    expect(k2.uids.length).toBe(key.uids.length);
    expect(sksKeyHash(k2).equals(sksKeyHash(key))).toBe(true);
  });

  test('a UID that occurs once keeps a duplicated signature, as SKS stores it', () => {
    const uid = key.uids[0];
    const doubledSig = [key.primary, ...key.directSigs, uid.packet, ...uid.sigs, uid.sigs[0]];
    const k = normalizeKey(doubledSig);
    expect(k.uids[0].sigs).toHaveLength(uid.sigs.length + 1);
    // once the UID repeats (a merge with a version that brings something new), the list is de-duplicated
    const extra = encodePacket(2, Buffer.concat([Buffer.from([4, 0x10, 1, 8, 0, 0, 0, 0, 0, 0]), Buffer.from('d')]));
    expect(mergeKeys(k, normalizeKey([key.primary, uid.packet, extra])).uids[0].sigs).toHaveLength(uid.sigs.length + 1);
    // a version with nothing new leaves it as stored (docs/recon-policies.md, "no churn")
    expect(mergeKeys(k, normalizeKey([key.primary, uid.packet, uid.sigs[0]]))).toBe(k);
  });

  test('the same signature under two different UIDs is kept in both places (SKS keeps it)', () => {
    const extraUid = encodePacket(13, Buffer.from('Someone Else <else@example.org>'));
    const sig = key.uids[0].sigs[0];
    const k = normalizeKey([
      key.primary,
      ...key.directSigs,
      ...key.uids.flatMap((c) => [c.packet, ...c.sigs]),
      extraUid,
      sig,
      ...key.subkeys.flatMap((c) => [c.packet, ...c.sigs]),
    ]);
    expect(k.uids[0].sigs.some((s) => s.body.equals(sig.body))).toBe(true);
    expect(k.uids[k.uids.length - 1].sigs.map((s) => s.body)).toEqual([sig.body]);
    expect(flattenKey(k).length).toBe(flattenKey(key).length + 2);
  });

  test('merge is the union: merging a key with itself changes nothing, halves give the whole', () => {
    expect(sksKeyHash(mergeKeys(key, key)).equals(sksKeyHash(key))).toBe(true);
    const half = normalizeKey([key.primary, ...key.uids.slice(0, 1).flatMap((c) => [c.packet, c.sigs[0]])]);
    const rest = normalizeKey(flattenKey(key));
    expect(sksKeyHash(mergeKeys(half, rest)).equals(sksKeyHash(key))).toBe(true);
  });

  test('merging different primary keys is refused', () => {
    const [a, b] = firstKeys(2).map((p) => normalizeKey(p));
    expect(() => mergeKeys(a, b)).toThrow(KeyStructureError);
  });

  test('grammar violations are rejected with a reason', () => {
    const uid = key.uids[0].packet;
    const sub = encodePacket(14, key.primary.body);
    const cases: [Packet[], string][] = [
      [[key.uids[0].sigs[0]], 'standalone-signature'],
      [[uid], 'no-primary-key'],
      [[encodePacket(5, key.primary.body)], 'secret-key'],
      [[key.primary, sub, uid], 'bad-structure'],
      [[key.primary, encodePacket(11, Buffer.from('literal'))], 'bad-structure'],
    ];
    for (const [p, reason] of cases) {
      try {
        normalizeKey(p);
        throw new Error(`accepted ${reason}`);
      } catch (e) {
        expect((e as KeyStructureError).reason).toBe(reason);
      }
    }
  });

  test('trust and marker packets are dropped before hashing', () => {
    const trust = encodePacket(12, Buffer.from([0, 0]));
    const marker = encodePacket(10, Buffer.from('PGP'));
    const noisy = [key.primary, trust, ...flattenKey(key).slice(1), marker];
    expect(sksKeyHash(normalizeKey(noisy)).equals(sksKeyHash(key))).toBe(true);
  });

  test('v5 and v6 keys are refused under the sks policy, v3 structure rules hold', () => {
    const v6 = Buffer.from(key.primary.body);
    v6[0] = 6;
    expect(() => normalizeKey([encodePacket(6, v6)])).toThrow(/v6 keys are not stored/);
  });

  test('size limits: packet count and bytes', () => {
    const sig = key.uids[0].sigs[0];
    const flood = [key.primary, key.uids[0].packet, ...Array.from({ length: 100_000 }, () => sig)];
    expect(() => normalizeKey(flood)).toThrow(LimitError);
    expect(() => normalizeKey(flattenKey(key), undefined, { maxPackets: 1000, maxKeyBytes: 100 })).toThrow(/bytes, over the limit/);
  });
  test('a version that brings nothing new leaves the stored key as it is (no phantom hashes)', () => {
    // a peer's variant that dropped the first UID but kept its signatures, which now follow the
    // primary key directly (Hockeypuck 2.1 serves such variants): merging it adds nothing
    const variant = normalizeKey([key.primary, ...key.directSigs, ...key.uids[0].sigs, ...key.uids.slice(1).flatMap((c) => [c.packet, ...c.sigs])]);
    expect(variant.directSigs.length).toBeGreaterThan(key.directSigs.length);
    expect(sksKeyHash(mergeKeys(key, variant)).equals(sksKeyHash(key))).toBe(true);
    // with anything new, the merge is SKS's: the relocated signatures are kept in both places
    const extra = encodePacket(2, Buffer.concat([Buffer.from([4, 0x10, 1, 8, 0, 0, 0, 0, 0, 0]), Buffer.from('z')]));
    const merged = mergeKeys(key, normalizeKey([...flattenKey(variant), key.uids[0].packet, extra]));
    expect(merged.uids[0].sigs.some((p) => p.body.equals(extra.body))).toBe(true);
    expect(merged.directSigs.length).toBe(variant.directSigs.length);
  });
});
