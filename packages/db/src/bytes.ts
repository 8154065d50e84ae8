/**
 * Bounds-checked reading and compact writing of the store's own binary values (record, change
 * log; docs/architecture.md §7). Every byte read from disk is untrusted: a read past the end or a
 * varint that does not fit a safe integer throws {@link StoredFormatError}.
 */
import { StoredFormatError } from './errors';

export class ByteWriter {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private room(n: number) {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): this {
    this.room(1);
    this.buf[this.pos++] = v;
    return this;
  }

  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** 6 bytes: times in ms since the epoch */
  u48(v: number): this {
    this.room(6);
    this.buf.writeUIntBE(v, this.pos, 6);
    this.pos += 6;
    return this;
  }

  /** unsigned LEB128 of a safe non-negative integer */
  varint(v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a varint: ${v}`);
    this.room(8);
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** varint length, then the bytes */
  lengthPrefixed(b: Uint8Array): this {
    return this.varint(b.length).bytes(b);
  }

  /** the bytes written and then `tail`, in one fresh buffer */
  finish(tail?: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(this.pos + (tail?.length ?? 0));
    this.buf.copy(out, 0, 0, this.pos);
    if (tail) out.set(tail, this.pos);
    return out;
  }
}

export class ByteReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    /** what is being read, for the error message */
    private readonly what: string,
  ) {}

  private need(n: number) {
    if (this.pos + n > this.buf.length) throw new StoredFormatError(`${this.what}: truncated at byte ${this.pos} (${this.buf.length} bytes)`);
  }

  fail(why: string): never {
    throw new StoredFormatError(`${this.what}: ${why} at byte ${this.pos}`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  u48(): number {
    this.need(6);
    const v = this.buf.readUIntBE(this.pos, 6);
    this.pos += 6;
    return v;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      v += (b & 0x7f) * scale;
      if (!Number.isSafeInteger(v)) break;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
    return this.fail('varint too long');
  }

  /** a count of items each at least `minBytes` long: bounded by what is left */
  count(minBytes = 1): number {
    const n = this.varint();
    if (n * minBytes > this.left) this.fail(`count ${n} exceeds the bytes left`);
    return n;
  }

  /** `n` bytes, a view into the buffer (no copy) */
  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  lengthPrefixed(): Buffer {
    return this.bytes(this.varint());
  }

  /** everything left, a view (no copy) */
  rest(): Buffer {
    const b = this.buf.subarray(this.pos);
    this.pos = this.buf.length;
    return b;
  }

  get left(): number {
    return this.buf.length - this.pos;
  }
}
