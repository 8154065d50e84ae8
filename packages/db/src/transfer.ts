/**
 * Moving batches across the worker boundary of PreparePool without copying each Buffer
 * (docs/architecture.md §9): the byte arrays of a message are gathered into one ArrayBuffer that
 * is transferred, not cloned, and the receiver gets Buffers viewing it.
 *
 * Structured clone copies the whole ArrayBuffer behind every Buffer it meets; node's small
 * Buffers share 8 KiB pool slabs, so a 20-byte fingerprint can cost a slab. One arena per message
 * costs one copy of exactly the bytes sent.
 */

/** Keys of one batch, packed: the key bytes back to back and where each ends. */
export interface PackedKeys {
  bytes: Uint8Array;
  ends: Uint32Array;
}

/** Pack keys into one fresh (transferable) buffer. */
export function packKeys(keys: readonly Buffer[]): PackedKeys {
  let total = 0;
  for (const k of keys) total += k.length;
  const bytes = new Uint8Array(new ArrayBuffer(total));
  const ends = new Uint32Array(keys.length);
  let at = 0;
  keys.forEach((k, i) => {
    bytes.set(k, at);
    at += k.length;
    ends[i] = at;
  });
  return { bytes, ends };
}

/** The keys of a packed batch, as Buffers viewing it. */
export function unpackKeys(p: PackedKeys): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const end of p.ends) {
    out.push(Buffer.from(p.bytes.buffer, p.bytes.byteOffset + at, end - at));
    at = end;
  }
  return out;
}

/** Nesting depth gatherBytes walks: prepared keys are a few levels deep. */
const MAX_DEPTH = 8;

/**
 * Replace every byte array inside `value` (plain objects and arrays, in place) by a Buffer viewing
 * one new ArrayBuffer holding them all; returns that ArrayBuffer, to pass in the transfer list.
 */
export function gatherBytes(value: object): ArrayBuffer {
  const found: { holder: Record<string | number, unknown>; key: string | number; bytes: Uint8Array }[] = [];
  let total = 0;
  const walk = (holder: Record<string | number, unknown>, depth: number) => {
    if (depth > MAX_DEPTH) return;
    for (const key of Object.keys(holder)) {
      const v = holder[key];
      if (v instanceof Uint8Array) {
        found.push({ holder, key, bytes: v });
        total += v.byteLength;
      } else if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, depth + 1);
    }
  };
  walk(value as Record<string, unknown>, 0);
  const arena = new ArrayBuffer(total);
  const all = new Uint8Array(arena);
  let at = 0;
  for (const f of found) {
    all.set(f.bytes, at);
    f.holder[f.key] = Buffer.from(arena, at, f.bytes.byteLength);
    at += f.bytes.byteLength;
  }
  return arena;
}

/** After the transfer: every byte array inside `value` (in place) as a Buffer over the same memory. */
export function reviveBytes(value: object, depth = 0): void {
  if (depth > MAX_DEPTH) return;
  const holder = value as Record<string, unknown>;
  for (const key of Object.keys(holder)) {
    const v = holder[key];
    if (v instanceof Uint8Array) {
      if (!Buffer.isBuffer(v)) holder[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    } else if (v !== null && typeof v === 'object') reviveBytes(v, depth + 1);
  }
}
