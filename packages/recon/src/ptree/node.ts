/**
 * A prefix-tree node as stored in LMDB (our own layout, not part of interop;
 * docs/recon.md §5). Key: one byte of bit length, then the prefix bytes. Value: a flag byte
 * (1 = leaf), the size as a 32-bit big-endian int, the svalues as 17-byte little-endian field
 * elements, then for a leaf its elements as 16-byte SKS hashes.
 */
import { ELEMENT_BYTES, elementFromBytes, writeElement } from '../field';
import { Bitstring } from '../bitstring';

export const HASH_BYTES = 16;

export interface PTreeNode {
  prefix: Bitstring;
  /** elements at or below this node */
  size: number;
  /** characteristic polynomial of the node's elements at the sample points (docs/recon.md §5) */
  svalues: bigint[];
  leaf: boolean;
  /** a leaf's elements, as 16-byte SKS hashes */
  hashes: Buffer[];
}

export function nodeKey(prefix: Bitstring): Buffer {
  return Buffer.concat([Buffer.from([prefix.length]), prefix.bytes]);
}

export function encodeNode(node: PTreeNode): Buffer {
  const n = node.svalues.length;
  const out = Buffer.alloc(5 + n * ELEMENT_BYTES + (node.leaf ? node.hashes.length * HASH_BYTES : 0));
  out[0] = node.leaf ? 1 : 0;
  out.writeUInt32BE(node.size, 1);
  node.svalues.forEach((v, i) => writeElement(v, out, 5 + i * ELEMENT_BYTES));
  if (node.leaf) node.hashes.forEach((h, i) => h.copy(out, 5 + n * ELEMENT_BYTES + i * HASH_BYTES));
  return out;
}

export function decodeNode(prefix: Bitstring, value: Buffer, numSamples: number): PTreeNode {
  const svalues: bigint[] = [];
  for (let i = 0; i < numSamples; i++) svalues.push(elementFromBytes(value, 5 + i * ELEMENT_BYTES));
  const leaf = value[0] === 1;
  const hashes: Buffer[] = [];
  if (leaf) {
    for (let at = 5 + numSamples * ELEMENT_BYTES; at + HASH_BYTES <= value.length; at += HASH_BYTES) hashes.push(Buffer.from(value.subarray(at, at + HASH_BYTES)));
  }
  return { prefix, size: value.readUInt32BE(1), svalues, leaf, hashes };
}
