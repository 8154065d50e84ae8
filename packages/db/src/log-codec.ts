/**
 * The stored bytes of a change-log entry (docs/architecture.md §7, `log`):
 * `u8 format (1) | u8 flags (1: updated, 2: removed) | u48 time in ms | fingerprint (the rest)`.
 * The hashes are not logged: the readers (stats, quorum) need when, which key, and whether it was new.
 */
import { ByteReader, ByteWriter } from './bytes';
import { ChangeLogEntry } from './record';

const FORMAT = 1;
const UPDATED = 1;
const REMOVED = 2;

export function encodeLogEntry(e: ChangeLogEntry): Buffer {
  return new ByteWriter()
    .u8(FORMAT)
    .u8((e.updated ? UPDATED : 0) | (e.removed ? REMOVED : 0))
    .u48(e.time)
    .finish(e.fpr);
}

/** Decode entry `seq`; throws StoredFormatError on damaged bytes. */
export function decodeLogEntry(seq: number, value: Buffer): ChangeLogEntry {
  const r = new ByteReader(value, `change-log entry ${seq}`);
  const format = r.u8();
  if (format !== FORMAT) r.fail(`unknown change-log format ${format}`);
  const flags = r.u8();
  const time = r.u48();
  const fpr = r.rest();
  if (fpr.length === 0) r.fail('no fingerprint');
  const entry: ChangeLogEntry = { time, fpr, updated: (flags & UPDATED) !== 0 };
  if (flags & REMOVED) entry.removed = true;
  return entry;
}
