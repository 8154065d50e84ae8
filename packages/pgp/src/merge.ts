/**
 * SKS dedup and merge (SKS keyMerge.ml, filters yminsky.dedup and yminsky.merge): duplicate
 * direct-key signatures are dropped, repeated UIDs/subkeys are joined and only then their
 * signature lists de-duplicated. Duplicates in different places are kept. Order is the order of
 * first appearance (the hash does not depend on order). Duplicates within one signature list are
 * not dropped under a UID or subkey that occurs once: real SKS keeps them
 * (docs/sks-key-hash.md §5, §6).
 */
import { createHash } from 'node:crypto';
import { KeyStructureError } from './errors';
import { flattenKey, KeyComponent, PublicKey } from './key';
import { Packet, samePacket } from './packet';

/**
 * Identity of a packet: exact tag and bytes, for joining UIDs/subkeys and dropping duplicates.
 * Looked up in a Map, so a key of n packets dedups in linear time whatever its packets look like
 * (docs/architecture.md §8; a cheaper bucket by tail bytes went quadratic on many signatures
 * sharing a tail).
 */
function packetId(p: Packet): string {
  // V8 hashes a string longer than 16,383 characters by its length alone, so long packets as
  // strings would all collide in the Map; a digest of such a body stands in for its bytes
  if (p.body.length > LONG_PACKET) return p.tag + '#' + createHash('sha256').update(p.body).digest('base64');
  return p.tag + ':' + p.body.toString('latin1');
}

/** Body length above which a packet is identified by its SHA-256 (well under V8's 16,383). */
const LONG_PACKET = 4096;

function dedupPackets(list: Packet[]): Packet[] {
  if (list.length < 2) return list;
  const seen = new Set<string>();
  const out: Packet[] = [];
  for (const p of list) {
    const id = packetId(p);
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}

/**
 * Join repeated UIDs/subkeys. As in SKS (keyMerge.ml dedup_sigpairs / merge_sigpairs), a
 * component's signature list is de-duplicated only when the component occurs more than once;
 * a component that occurs once keeps its list as it is, duplicate signatures included
 * (verified against sks 1.1.6: it stores and hashes such duplicates).
 */
function dedupComponents(list: KeyComponent[]): KeyComponent[] {
  const byId = new Map<string, { c: KeyComponent; repeated: boolean }>();
  const out: KeyComponent[] = [];
  for (const c of list) {
    const id = packetId(c.packet);
    const prev = byId.get(id);
    if (prev) {
      prev.c.sigs.push(...c.sigs);
      prev.repeated = true;
    } else {
      const entry = { c: { packet: c.packet, sigs: [...c.sigs] }, repeated: false };
      byId.set(id, entry);
      out.push(entry.c);
    }
  }
  for (const { c, repeated } of byId.values()) if (repeated) c.sigs = dedupPackets(c.sigs);
  return out;
}

/** `yminsky.dedup`: one key with its duplicates removed. */
export function dedupKey(key: PublicKey): PublicKey {
  return {
    ...key,
    directSigs: dedupPackets(key.directSigs),
    uids: dedupComponents(key.uids),
    subkeys: dedupComponents(key.subkeys),
  };
}

/**
 * `yminsky.merge`: the union of two versions of one key (identical primary-key packets);
 * `stored` comes first so its order is kept.
 *
 * One difference from SKS (docs/recon-policies.md, "no churn"): an incoming version none of whose
 * packets is new to `stored` (each one is held somewhere) leaves it as it is. Peers that drop a
 * User ID or attribute but keep its signatures (Hockeypuck 2.1 does) send such versions, with the
 * signatures under the previous component; merging them the SKS way would make a version — and a
 * hash — that no server holds. A version that brings anything new merges exactly as in SKS.
 */
export function mergeKeys(stored: PublicKey, incoming: PublicKey): PublicKey {
  if (!samePacket(stored.primary, incoming.primary)) {
    throw new KeyStructureError('primary-mismatch', 'keys with different primary-key packets cannot be merged');
  }
  if (addsNothing(stored, incoming)) return stored;
  return dedupKey({
    ...stored,
    directSigs: [...stored.directSigs, ...incoming.directSigs],
    uids: [...stored.uids, ...incoming.uids],
    subkeys: [...stored.subkeys, ...incoming.subkeys],
  });
}

/** Whether every packet of `incoming` occurs somewhere in `stored` (same tag and bytes). */
function addsNothing(stored: PublicKey, incoming: PublicKey): boolean {
  const held = new Set(flattenKey(stored).map(packetId));
  return flattenKey(incoming).every((p) => held.has(packetId(p)));
}
