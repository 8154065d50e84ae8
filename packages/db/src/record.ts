/**
 * The stored form of a key: its packets exactly as stored and hashed, plus what was learnt when
 * it was ingested (self-signature validity), so serving never re-verifies.
 */
import { KeyValidity } from '@dkeyserv/pgp';

export interface KeyRecord {
  /** primary fingerprint */
  fpr: Buffer;
  /** primary key packet version */
  version: number;
  /** SKS key hash of `packets` */
  hash: Buffer;
  /** the key's packets, headers as received */
  packets: Buffer;
  /** key creation time from the primary packet, seconds since the epoch */
  created: number;
  /** when this server first stored the key, ms since the epoch */
  firstSeen: number;
  /** when this server last changed the key, ms since the epoch */
  modified: number;
  validity: KeyValidity;
}

/** An entry of the change log: one stored key version replaced by another. */
export interface ChangeLogEntry {
  /** ms since the epoch */
  time: number;
  fpr: Buffer;
  /** hash of the previous version; absent for a new key */
  oldHash?: Buffer;
  newHash: Buffer;
}
