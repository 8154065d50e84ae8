/**
 * Takedowns (docs/operations.md §14): keys an operator removed (`dkeyserv delete`) or blocks in
 * the config (`[policy] blocked`). Each is a tombstone in the store's `takedown` database,
 * fingerprint → {@link Takedown}, and every hash its key had (whole key and each policy view) is
 * filed in `takedown-hash`, so `hget` can say why it is gone. The write path refuses a taken-down
 * fingerprint (reason `blocked`): upload, recon, import and quorum all go through it, so nothing
 * brings the key back but an undo.
 *
 * Stored bytes of a tombstone: `u8 format (1) | u8 source (0 operator, 1 config) | u48 time in ms |
 * varint-prefixed reason (UTF-8) | the removed KeyRecord (record-codec.ts; the rest, may be empty)`.
 */
import { ByteReader, ByteWriter } from './bytes';
import { DbError } from './errors';
import { KeyRecord } from './record';
import { decodeRecord, encodeRecord } from './record-codec';

/** Who took the key down: an operator's `dkeyserv delete`, or the config's block list. */
export type TakedownSource = 'operator' | 'config';

export interface Takedown {
  /** primary fingerprint */
  fpr: Buffer;
  /** one line, shown in answers and stats */
  reason: string;
  /** ms since the epoch */
  time: number;
  source: TakedownSource;
  /** the key as stored when it was taken down (undo restores it); absent if it was not stored */
  record?: KeyRecord;
}

/** A reason that is not one short line, or a fingerprint that is not one. */
export class TakedownError extends DbError {}

/** Longest reason kept (characters): it is echoed in every answer about the key. */
export const MAX_REASON_CHARS = 200;

/** Fingerprint lengths of primary keys (v3/v4 20 bytes as stored, v5/v6 32 bytes). */
const FPR_LENGTHS = [16, 20, 32];

/** A reason as stored: trimmed, one line of printable characters, at most MAX_REASON_CHARS. */
export function checkReason(reason: string): string {
  const r = reason.trim();
  if (r.length === 0) throw new TakedownError('a takedown needs a reason (one line of text)');
  if (r.length > MAX_REASON_CHARS) throw new TakedownError(`the reason has ${r.length} characters, over the limit of ${MAX_REASON_CHARS}`);
  // (control characters and bidi overrides would corrupt answers and pages that echo the reason)
  if (/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u.test(r)) throw new TakedownError('the reason must be one line of printable text');
  return r;
}

/** A primary fingerprint from hex (optionally `0x`, spaces allowed as gpg prints them). */
export function parseFingerprint(text: string): Buffer {
  const digits = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]+$/.test(digits) || !FPR_LENGTHS.includes(digits.length / 2)) {
    throw new TakedownError(`not a key fingerprint: ${JSON.stringify(text.length > 80 ? text.slice(0, 80) + '…' : text)} (expected 32, 40 or 64 hex digits)`);
  }
  return Buffer.from(digits, 'hex');
}

const FORMAT = 1;
const SOURCES: readonly TakedownSource[] = ['operator', 'config'];

export function encodeTakedown(t: Takedown): Buffer {
  return new ByteWriter()
    .u8(FORMAT)
    .u8(SOURCES.indexOf(t.source))
    .u48(t.time)
    .lengthPrefixed(Buffer.from(t.reason, 'utf8'))
    .finish(t.record ? encodeRecord(t.record) : undefined);
}

/** Decode the tombstone of `fpr`; throws StoredFormatError on damaged bytes. */
export function decodeTakedown(fpr: Buffer, value: Buffer): Takedown {
  const r = new ByteReader(value, `takedown of ${fpr.toString('hex')}`);
  if (r.u8() !== FORMAT) r.fail('unknown takedown format');
  const source = SOURCES[r.u8()];
  if (!source) r.fail('unknown takedown source');
  const time = r.u48();
  const reason = r.lengthPrefixed().toString('utf8');
  const rest = r.rest();
  const t: Takedown = { fpr, reason, time, source };
  if (rest.length) t.record = decodeRecord(fpr, Buffer.from(rest));
  return t;
}

/** The one-line message of an answer about a taken-down key. */
export function takedownMessage(t: Pick<Takedown, 'fpr' | 'reason'>): string {
  return `key ${t.fpr.toString('hex').toUpperCase()} was removed from this server: ${t.reason}`;
}
