/**
 * What an attestation binds of a key version: its SKS key hash (the recon element) and a SHA-256
 * of the same packets, so that an MD5 collision cannot carry trust (docs/quorum.md §4).
 *
 * The SHA-256 is taken over exactly the bytes the SKS hash feeds to MD5 (docs/sks-key-hash.md §1): the
 * packets sorted by (tag, body), each as int32_be(tag) ‖ int32_be(length) ‖ body. Not over the
 * stored bytes as such: two honest nodes holding the same SKS hash may store different bytes (old-
 * or new-format headers as received, UIDs and signatures merged in arrival order), and they must
 * still sign the same digest for their attestations to count together.
 */
import { createHash } from 'node:crypto';
import { Packet, sksHashInput, sksPacketsHash } from '@dkeyserv/pgp';

export interface KeyVersionDigests {
  /** SKS key hash (MD5, 16 bytes) */
  keyHash: Buffer;
  /** SHA-256 of the SKS hash's input (32 bytes) */
  packetsSha256: Buffer;
}

/** SHA-256 over the SKS key hash's input for `packets` (order and headers do not matter). */
export function packetsSha256(packets: readonly Packet[]): Buffer {
  return createHash('sha256').update(sksHashInput(packets)).digest();
}

export function keyVersionDigests(packets: readonly Packet[]): KeyVersionDigests {
  return { keyHash: sksPacketsHash(packets), packetsSha256: packetsSha256(packets) };
}
