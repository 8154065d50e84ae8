/**
 * The SKS key hash, the recon set element (spec/recon.md §8.1):
 * MD5 over the packets sorted by (tag, body bytes), each as int32_be(tag) ‖ int32_be(len) ‖ body.
 */
import { createHash } from 'node:crypto';
import { flattenKey, PublicKey } from './key';
import { Packet } from './packet';

function comparePackets(a: Packet, b: Packet): number {
  return a.tag - b.tag || Buffer.compare(a.body, b.body);
}

/** SKS key hash of a packet list (order does not matter). */
export function sksPacketsHash(packets: readonly Packet[]): Buffer {
  const sorted = [...packets].sort(comparePackets);
  const h = createHash('md5');
  const hdr = Buffer.alloc(8);
  for (const p of sorted) {
    hdr.writeUInt32BE(p.tag, 0);
    hdr.writeUInt32BE(p.body.length, 4);
    h.update(hdr);
    h.update(p.body);
  }
  return h.digest();
}

/** SKS key hash of a parsed key: the hash of exactly the packets it stores. */
export function sksKeyHash(key: PublicKey): Buffer {
  return sksPacketsHash(flattenKey(key));
}
