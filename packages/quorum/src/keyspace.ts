/** Key layout helpers shared by the quorum package's LMDB databases (store.ts, served.ts). */
import type { KeyStore } from '@dkeyserv/db';

/** A binary database of the key store's environment (`KeyStore.openDatabase`). */
export type BinaryDatabase = NonNullable<ReturnType<KeyStore['openDatabase']>>;

/** A fingerprint inside a key: its length byte, then its bytes (v4 and v6 lengths differ). */
export function fprPart(fpr: Buffer): Buffer {
  return Buffer.concat([Buffer.from([fpr.length]), fpr]);
}

/** The key range holding exactly the keys that start with `prefix`. */
export function prefixRange(prefix: Buffer): { start: Buffer; end: Buffer } {
  let i = prefix.length - 1;
  while (prefix[i] === 0xff) i--; // (every prefix here starts with a byte < 0xff: a table byte or a fingerprint length)
  const end = Buffer.from(prefix.subarray(0, i + 1));
  end[i]++;
  return { start: prefix, end };
}
