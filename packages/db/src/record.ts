/**
 * The stored form of a key: its packets exactly as stored and hashed, plus what was learnt when
 * it was ingested (self-signature validity), so serving never re-verifies.
 */
import { KeyValidity } from '@dkeyserv/pgp';

/**
 * A recon policy's view of a stored key where it is not the whole key: its hash and the positions
 * (in stored order) of the packets it leaves out; or, when the policy holds no version of the key,
 * the reason (a short code) and a one-line message.
 */
export interface StoredView {
  hash?: Buffer;
  drop?: number[];
  reason?: string;
  message?: string;
}

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
  /** per kept recon policy whose view is not simply the whole key (absent: every view is) */
  views?: Partial<Record<string, StoredView>>;
}

/** An entry of the change log: one key stored anew, replaced by a new version, or removed. */
export interface ChangeLogEntry {
  /** ms since the epoch */
  time: number;
  fpr: Buffer;
  /** a stored version was replaced (false: the key is new) */
  updated: boolean;
  /** the key was removed by a takedown (docs/operations.md §14; `updated` is then true) */
  removed?: boolean;
}
