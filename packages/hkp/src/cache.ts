/**
 * A cache of finished lookup responses (armored keys, mr indexes), valid while the store's
 * change sequence is unchanged: any write anywhere makes every entry stale, so a cached
 * answer is never older than the store. Bounded in bytes, each entry counted as its body, its
 * key and a fixed overhead for the rest, so the bound holds for many small answers too
 * (docs/hkp.md §10); least recently used out.
 */
export interface CachedResponse {
  type: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface Entry extends CachedResponse {
  seq: number | string;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly maxBytes = 64 * 1024 * 1024) {}

  get(key: string, seq: number | string): CachedResponse | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.seq !== seq) {
      this.bytes -= cost(key, e);
      return undefined;
    }
    this.entries.set(key, e); // most recently used last
    return e;
  }

  set(key: string, seq: number | string, value: CachedResponse): void {
    if (value.body.length > this.maxBytes / 16) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= cost(key, old);
      this.entries.delete(key);
    }
    // a body of its own size: a small Buffer is a slice of an 8 KB pool slab, and keeping it
    // would keep the whole slab, up to ten times what the entry is counted as
    const body = Buffer.allocUnsafeSlow(value.body.length);
    value.body.copy(body);
    this.entries.set(key, { ...value, body, seq });
    this.bytes += cost(key, value);
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= cost(k, e);
    }
  }
}

/** Bytes an entry is counted as: the body, the key (UTF-16) and what the map and objects add. */
const ENTRY_OVERHEAD = 512;

function cost(key: string, e: CachedResponse): number {
  return e.body.length + 2 * key.length + ENTRY_OVERHEAD;
}
