/**
 * A cache of finished lookup responses (armored keys, mr indexes), valid while the store's
 * change sequence is unchanged: any write anywhere makes every entry stale, so a cached
 * answer is never older than the store. Bounded in entries and bytes; least recently used out.
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

  constructor(
    private readonly maxEntries = 20_000,
    private readonly maxBytes = 128 * 1024 * 1024,
  ) {}

  get(key: string, seq: number | string): CachedResponse | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    if (e.seq !== seq) {
      this.bytes -= e.body.length;
      return undefined;
    }
    this.entries.set(key, e); // most recently used last
    return e;
  }

  set(key: string, seq: number | string, value: CachedResponse): void {
    if (value.body.length > this.maxBytes / 16) return;
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.length;
      this.entries.delete(key);
    }
    this.entries.set(key, { ...value, seq });
    this.bytes += value.body.length;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.body.length;
    }
  }
}
