/**
 * The recon policy's normalisation (DESIGN.md §4): which packets of an incoming key are stored
 * and hashed. Policy `sks` stores what SKS 1.1.6 stores (spec/recon.md §8.2), so that SKS key
 * hashes match: the SKS key grammar, dedup, key versions 2–4 only. Two deliberate differences,
 * both for input SKS would reject whole: trust (12) and marker (10) packets are dropped first
 * (gpg keyrings carry trust packets), and keys over the size limits are refused (flooding,
 * CVE-2019-13050).
 */
import { KeyStructureError, LimitError } from '../errors';
import { parseKey, packetCount, PublicKey } from '../key';
import { dedupKey } from '../merge';
import { Packet, Tag } from '../packet';

export type ReconPolicyName = 'sks';

export interface KeyLimits {
  /** most packets in one key (signature floods stop here) */
  maxPackets: number;
  /** most bytes in one key */
  maxKeyBytes: number;
}

export const DEFAULT_KEY_LIMITS: KeyLimits = { maxPackets: 20_000, maxKeyBytes: 8 * 1024 * 1024 };

/** Key packet versions a policy can store and hash. */
export function storableVersion(policy: ReconPolicyName, version: number): boolean {
  switch (policy) {
    case 'sks':
      return version >= 2 && version <= 4;
  }
}

/** Parse, filter and dedup one key's packets per the policy; throws a PgpError with a reason. */
export function normalizeKey(packets: readonly Packet[], policy: ReconPolicyName = 'sks', limits: KeyLimits = DEFAULT_KEY_LIMITS): PublicKey {
  if (packets.length > limits.maxPackets) {
    throw new LimitError('too-many-packets', `key has ${packets.length} packets, over the limit of ${limits.maxPackets}`);
  }
  let bytes = 0;
  for (const p of packets) bytes += p.raw.length;
  if (bytes > limits.maxKeyBytes) {
    throw new LimitError('key-too-large', `key has ${bytes} bytes, over the limit of ${limits.maxKeyBytes}`);
  }
  const kept = packets.filter((p) => p.tag !== Tag.Trust && p.tag !== Tag.Marker);
  if (kept.length > 0 && kept[0].tag === Tag.PublicKey && kept[0].body.length > 0 && !storableVersion(policy, kept[0].body[0])) {
    throw new KeyStructureError('unsupported-version', `v${kept[0].body[0]} keys are not stored under recon policy '${policy}' (SKS cannot hash them)`);
  }
  const key = dedupKey(parseKey(kept));
  if (packetCount(key) === 0) throw new KeyStructureError('empty', 'no packets');
  return key;
}
