/**
 * The SKS key hash, the recon set element (docs/sks-key-hash.md §1):
 * MD5 over the packets sorted by (tag, body bytes), each as int32_be(tag) ‖ int32_be(len) ‖ body.
 */
import { createHash } from 'node:crypto';
import { flattenKey, PublicKey } from './key';
import { Packet } from './packet';

function comparePackets(a: Packet, b: Packet): number {
  return a.tag - b.tag || Buffer.compare(a.body, b.body);
}

/**
 * The bytes the SKS key hash digests: the packets sorted by (tag, body), each as
 * int32_be(tag) ‖ int32_be(len) ‖ body, in one contiguous buffer (one digest call is far cheaper
 * than an update per packet). Other digests of the same canonical form use it too (quorum).
 */
export function sksHashInput(packets: readonly Packet[]): Buffer {
  const sorted = [...packets].sort(comparePackets);
  let size = 0;
  for (const p of sorted) size += 8 + p.body.length;
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of sorted) {
    buf.writeUInt32BE(p.tag, at);
    buf.writeUInt32BE(p.body.length, at + 4);
    p.body.copy(buf, at + 8);
    at += 8 + p.body.length;
  }
  return buf;
}

/** SKS key hash of a packet list (order does not matter). */
export function sksPacketsHash(packets: readonly Packet[]): Buffer {
  return createHash('md5').update(sksHashInput(packets)).digest();
}

/** SKS key hash of a parsed key: the hash of exactly the packets it stores. */
export function sksKeyHash(key: PublicKey): Buffer {
  return sksPacketsHash(flattenKey(key));
}
