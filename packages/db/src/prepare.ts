/**
 * The CPU half of ingest, with no database access: parse, normalise per the recon policy,
 * verify self-signatures, hash, derive index terms. It runs on worker threads during imports
 * (prepare-pool.ts) and inline for single keys; `KeyStore.commit` does the rest.
 */
import {
  DEFAULT_KEY_LIMITS,
  DEFAULT_PACKET_LIMITS,
  flattenKey,
  joinPackets,
  KeyLimits,
  KeyValidity,
  hasServedUserId,
  normalizeKey,
  Packet,
  PacketLimits,
  PgpError,
  PublicKey,
  ReconPolicyName,
  sksPacketsHash,
  splitPackets,
  verifySelfSignatures,
} from '@dkeyserv/pgp';
import { keyTerms, KeyTerms } from './terms';

/** A key ready to be written: everything derived from its bytes alone. */
export interface PreparedKey {
  fpr: Buffer;
  version: number;
  /** SKS hash of `packets` */
  hash: Buffer;
  /** the normalised key's packets, headers as received */
  packets: Buffer;
  created: number;
  validity: KeyValidity;
  terms: KeyTerms;
  /** a User ID (not an attribute) that its owner certified or revoked: the key is servable */
  servedUserId: boolean;
}

/** A key that cannot be stored, with a short reason and a one-line message. */
export interface Rejection {
  status: 'rejected';
  fpr?: string;
  reason: string;
  message: string;
}

export interface PrepareOptions {
  policy: ReconPolicyName;
  limits: KeyLimits;
  packetLimits: PacketLimits;
}

export const DEFAULT_PREPARE_OPTIONS: PrepareOptions = { policy: 'sks', limits: DEFAULT_KEY_LIMITS, packetLimits: DEFAULT_PACKET_LIMITS };

export function isRejection(p: PreparedKey | Rejection): p is Rejection {
  return (p as Rejection).status === 'rejected';
}

export function rejection(e: unknown): Rejection {
  if (e instanceof PgpError) return { status: 'rejected', reason: e.reason, message: e.message };
  throw e;
}

/** Everything about a parsed, normalised key that the store writes. */
export function describeKey(key: PublicKey): PreparedKey {
  const packets = flattenKey(key);
  const validity = verifySelfSignatures(key);
  return {
    fpr: key.fingerprint,
    version: key.version,
    hash: sksPacketsHash(packets),
    packets: joinPackets(packets),
    created: key.primary.body.length >= 5 ? key.primary.body.readUInt32BE(1) : 0,
    validity,
    terms: keyTerms(key, validity),
    servedUserId: hasServedUserId(key, validity),
  };
}

/** Prepare one key from its packets; a key that cannot be stored becomes a Rejection. */
export function prepareKey(packets: readonly Packet[], opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS): PreparedKey | Rejection {
  try {
    return describeKey(normalizeKey(packets, opts.policy, opts.limits));
  } catch (e) {
    return rejection(e);
  }
}

/** Prepare one key from its raw bytes (one key's packets, concatenated). */
export function prepareKeyBytes(bytes: Buffer, opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS): PreparedKey | Rejection {
  try {
    return prepareKey(splitPackets(bytes, opts.packetLimits), opts);
  } catch (e) {
    return rejection(e);
  }
}
