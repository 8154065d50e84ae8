/** Small helpers of the quorum tests. */
import { parseKey, splitPackets } from '@dkeyserv/pgp';

/** The primary fingerprint of one key's packets, upper-case hex (as HKP pages print it). */
export function keyFingerprint(key: Buffer): string {
  return parseKey(splitPackets(key)).fingerprint.toString('hex').toUpperCase();
}
