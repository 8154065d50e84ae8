/**
 * The stored bytes of a {@link KeyRecord} (docs/architecture.md §7, `keys`): our own compact,
 * versioned encoding. The fingerprint is not in the value (it is the LMDB key); the packets come
 * last and decode as a view into the value, without a copy.
 *
 * ```
 * u8 format (1) | u8 flags (1: primary revoked, 2: modified = firstSeen) | u8 key version
 * hash (varint length, bytes) | u32 created | u48 firstSeen | [u48 modified] | varint unsupported
 * uids, subkeys: varint count, then per component: u8 flags (1 valid, 2 revoked, 4 created,
 *   8 keyExpires, 16 created is a varint of seconds after the key's creation)
 *   [u32 or varint created] [u32 keyExpires]
 * views: varint count, then per view: policy name (varint length, UTF-8), u8 flags (1 hash,
 *   2 drop, 4 reason, 8 message), [hash] [varint count, varint positions] [reason] [message]
 * packets: the rest
 * ```
 */
import { ComponentValidity } from '@dkeyserv/pgp';
import { ByteReader, ByteWriter } from './bytes';
import { KeyRecord, StoredView } from './record';

const FORMAT = 1;

/** flag bits of the record, of a component and of a view */
const RECORD = { revoked: 1, unmodified: 2 } as const;
const COMPONENT = { valid: 1, revoked: 2, created: 4, expires: 8, createdAfter: 16 } as const;
const VIEW = { hash: 1, drop: 2, reason: 4, message: 8 } as const;

export function encodeRecord(r: KeyRecord): Buffer {
  const w = new ByteWriter()
    .u8(FORMAT)
    .u8((r.validity.revoked ? RECORD.revoked : 0) | (r.modified === r.firstSeen ? RECORD.unmodified : 0))
    .u8(r.version)
    .lengthPrefixed(r.hash)
    .u32(r.created)
    .u48(r.firstSeen);
  if (r.modified !== r.firstSeen) w.u48(r.modified);
  w.varint(r.validity.unsupported);
  for (const list of [r.validity.uids, r.validity.subkeys]) {
    w.varint(list.length);
    for (const c of list) writeComponent(w, c, r.created);
  }
  const views = Object.entries(r.views ?? {}).filter((e): e is [string, StoredView] => e[1] !== undefined);
  w.varint(views.length);
  for (const [name, v] of views) writeView(w, name, v);
  return w.finish(r.packets);
}

function writeComponent(w: ByteWriter, c: ComponentValidity, keyCreated: number) {
  // a binding signature is usually made when the key is, or soon after: a short varint
  const after = c.created !== undefined && c.created >= keyCreated;
  const flags = (c.valid ? COMPONENT.valid : 0) | (c.revoked ? COMPONENT.revoked : 0) | (c.created !== undefined ? COMPONENT.created : 0) | (c.keyExpires !== undefined ? COMPONENT.expires : 0) | (after ? COMPONENT.createdAfter : 0);
  w.u8(flags);
  if (after) w.varint(c.created! - keyCreated);
  else if (c.created !== undefined) w.u32(c.created);
  if (c.keyExpires !== undefined) w.u32(c.keyExpires);
}

function writeView(w: ByteWriter, name: string, v: StoredView) {
  const flags = (v.hash ? VIEW.hash : 0) | (v.drop ? VIEW.drop : 0) | (v.reason !== undefined ? VIEW.reason : 0) | (v.message !== undefined ? VIEW.message : 0);
  w.lengthPrefixed(Buffer.from(name, 'utf8')).u8(flags);
  if (v.hash) w.lengthPrefixed(v.hash);
  if (v.drop) {
    w.varint(v.drop.length);
    for (const i of v.drop) w.varint(i);
  }
  if (v.reason !== undefined) w.lengthPrefixed(Buffer.from(v.reason, 'utf8'));
  if (v.message !== undefined) w.lengthPrefixed(Buffer.from(v.message, 'utf8'));
}

/** Decode a stored record filed under `fpr`; throws StoredFormatError on damaged bytes. */
export function decodeRecord(fpr: Buffer, value: Buffer): KeyRecord {
  const r = new ByteReader(value, `key record ${fpr.toString('hex')}`);
  const format = r.u8();
  if (format !== FORMAT) r.fail(`unknown record format ${format}`);
  const flags = r.u8();
  const version = r.u8();
  const hash = r.lengthPrefixed();
  const created = r.u32();
  const firstSeen = r.u48();
  const modified = flags & RECORD.unmodified ? firstSeen : r.u48();
  const unsupported = r.varint();
  const uids = readComponents(r, created);
  const subkeys = readComponents(r, created);
  const nViews = r.count(2);
  let views: Record<string, StoredView> | undefined;
  for (let i = 0; i < nViews; i++) {
    views ??= {};
    const name = r.lengthPrefixed().toString('utf8');
    views[name] = readView(r);
  }
  const record: KeyRecord = {
    fpr,
    version,
    hash,
    packets: r.rest(),
    created,
    firstSeen,
    modified,
    validity: { revoked: (flags & RECORD.revoked) !== 0, uids, subkeys, unsupported },
  };
  if (views) record.views = views;
  return record;
}

function readComponents(r: ByteReader, keyCreated: number): ComponentValidity[] {
  const n = r.count(1);
  const out: ComponentValidity[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const flags = r.u8();
    const c: ComponentValidity = { valid: (flags & COMPONENT.valid) !== 0, revoked: (flags & COMPONENT.revoked) !== 0 };
    if (flags & COMPONENT.created) c.created = flags & COMPONENT.createdAfter ? keyCreated + r.varint() : r.u32();
    if (flags & COMPONENT.expires) c.keyExpires = r.u32();
    out[i] = c;
  }
  return out;
}

function readView(r: ByteReader): StoredView {
  const flags = r.u8();
  const v: StoredView = {};
  if (flags & VIEW.hash) v.hash = r.lengthPrefixed();
  if (flags & VIEW.drop) {
    const n = r.count(1);
    v.drop = new Array<number>(n);
    for (let i = 0; i < n; i++) v.drop[i] = r.varint();
  }
  if (flags & VIEW.reason) v.reason = r.lengthPrefixed().toString('utf8');
  if (flags & VIEW.message) v.message = r.lengthPrefixed().toString('utf8');
  return v;
}
