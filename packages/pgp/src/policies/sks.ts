/**
 * The stored form of a key (docs/sks-key-hash.md §4): what SKS 1.1.6 stores, so that
 * the SKS key hash of a stored key matches SKS's: the SKS key grammar and dedup. Every recon
 * policy's view is taken from this form (index.ts). Two deliberate differences, both for input
 * SKS would reject whole: trust (12) and marker (10) packets are dropped first (gpg keyrings carry
 * trust packets), and keys over the size limits are refused (flooding, CVE-2019-13050). Key
 * versions are those some configured policy hashes (SKS: 2–4).
 */
import { KeyStructureError, LimitError } from '../errors';
import { parseKey, packetCount, PublicKey } from '../key';
import { dedupKey } from '../merge';
import { Packet, Tag } from '../packet';

export interface KeyLimits {
  /** most packets in one key (signature floods stop here) */
  maxPackets: number;
  /** most bytes in one key */
  maxKeyBytes: number;
}

export const DEFAULT_KEY_LIMITS: KeyLimits = { maxPackets: 20_000, maxKeyBytes: 8 * 1024 * 1024 };

/** Key packet versions SKS can hash (docs/sks-key-hash.md §4). */
export const SKS_VERSIONS: readonly number[] = [2, 3, 4];

/**
 * Parse, filter and dedup one key's packets into the stored form; `versions` are the key versions
 * stored (those some configured policy hashes). Throws a PgpError with a reason.
 */
export function normalizeKey(packets: readonly Packet[], versions: readonly number[] = SKS_VERSIONS, limits: KeyLimits = DEFAULT_KEY_LIMITS): PublicKey {
  if (packets.length > limits.maxPackets) {
    throw new LimitError('too-many-packets', `key has ${packets.length} packets, over the limit of ${limits.maxPackets}`);
  }
  let bytes = 0;
  for (const p of packets) bytes += p.raw.length;
  if (bytes > limits.maxKeyBytes) {
    throw new LimitError('key-too-large', `key has ${bytes} bytes, over the limit of ${limits.maxKeyBytes}`);
  }
  const kept = packets.filter((p) => p.tag !== Tag.Trust && p.tag !== Tag.Marker);
  if (kept.length > 0 && kept[0].tag === Tag.PublicKey && kept[0].body.length > 0 && !versions.includes(kept[0].body[0])) {
    const v = kept[0].body[0];
    throw new KeyStructureError('unsupported-version', `v${v} keys are not stored: the configured recon policies hash key versions ${versions.join(', ')} only`);
  }
  const key = dedupKey(parseKey(kept));
  if (packetCount(key) === 0) throw new KeyStructureError('empty', 'no packets');
  return key;
}
