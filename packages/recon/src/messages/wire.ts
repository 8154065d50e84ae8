/**
 * Recon wire primitives (docs/recon.md §2): int, string, bitstring, ZZp and ZZp arrays, with
 * a bounded reader for hostile input and a growing writer.
 */
import { Bitstring } from '../bitstring';
import { ReconProtocolError } from '../errors';
import { ELEMENT_BYTES, elementFromBytes, writeElement } from '../field';

/** Hard limits applied while decoding; every declared length is checked before it is used. */
export interface ReconLimits {
  /** Largest frame length L (type byte + payload). conflux: 16 MiB (`maxReadLen`). */
  readonly maxFrameLength: number;
  /** Largest element count of a ZZp array or set (also bounded by the bytes left in the frame). */
  readonly maxElements: number;
  /** Largest Error text, Config key/value and status string, in bytes. */
  readonly maxStringLength: number;
  /** Largest number of Config key/value pairs. */
  readonly maxConfigPairs: number;
  /** Longest prefix bitstring, in bits (an element path: 17 × 8). */
  readonly maxBitstringBits: number;
}

const MAX_FRAME = 1 << 24;

export const DEFAULT_LIMITS: ReconLimits = Object.freeze({
  maxFrameLength: MAX_FRAME,
  maxElements: Math.floor(MAX_FRAME / ELEMENT_BYTES),
  maxStringLength: 64 * 1024,
  maxConfigPairs: 64,
  maxBitstringBits: ELEMENT_BYTES * 8,
});

/** Sequential reader over one complete frame payload. */
export class WireReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    readonly limits: ReconLimits,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.remaining) {
      throw new ReconProtocolError('truncated', `${what}: needs ${n} bytes, ${this.remaining} left in the frame`);
    }
  }

  byte(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++];
  }

  /** A 4-byte big-endian unsigned int. */
  int(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** A length-prefixed byte string of at most `max` bytes (a view into the frame). */
  bytes(what: string, max = this.limits.maxStringLength): Buffer {
    const len = this.int(`${what} length`);
    if (len > max) throw new ReconProtocolError('limit', `${what}: length ${len} exceeds the limit ${max}`);
    this.need(len, what);
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  /** A length-prefixed string, decoded as UTF-8. */
  text(what: string): string {
    return this.bytes(what).toString('utf8');
  }

  bitstring(what: string): Bitstring {
    const bits = this.int(`${what} bit length`);
    if (bits > this.limits.maxBitstringBits) {
      throw new ReconProtocolError('limit', `${what}: ${bits} bits exceeds the limit ${this.limits.maxBitstringBits}`);
    }
    const byteLength = this.int(`${what} byte length`);
    if (byteLength !== (bits + 7) >> 3) {
      throw new ReconProtocolError('bitstring', `${what}: ${byteLength} bytes for ${bits} bits`);
    }
    this.need(byteLength, what);
    const out = Bitstring.fromBytes(this.buf.subarray(this.pos, this.pos + byteLength), bits);
    this.pos += byteLength;
    return out;
  }

  /** One 17-byte little-endian field element, rejected if ≥ p. */
  element(what: string): bigint {
    this.need(ELEMENT_BYTES, what);
    let x: bigint;
    try {
      x = elementFromBytes(this.buf, this.pos);
    } catch {
      throw new ReconProtocolError('element', `${what}: value is not below p`);
    }
    this.pos += ELEMENT_BYTES;
    return x;
  }

  /** An int count, then count elements. The count is checked against the frame before reading. */
  elements(what: string): bigint[] {
    const count = this.int(`${what} count`);
    if (count > this.limits.maxElements) {
      throw new ReconProtocolError('limit', `${what}: ${count} elements exceeds the limit ${this.limits.maxElements}`);
    }
    if (count * ELEMENT_BYTES > this.remaining) {
      throw new ReconProtocolError('truncated', `${what}: ${count} elements do not fit in the ${this.remaining} bytes left`);
    }
    const out: bigint[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = this.element(what);
    return out;
  }

  /** Throws unless the whole payload was consumed. */
  end(what: string): void {
    if (this.remaining !== 0) throw new ReconProtocolError('trailing-bytes', `${what}: ${this.remaining} bytes after the payload`);
  }
}

/** Appends primitives to a growing buffer. */
export class WireWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 64) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  get length(): number {
    return this.pos;
  }

  byte(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v;
    return this;
  }

  int(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`recon int out of range: ${v}`);
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** Writes an int at an earlier position (frame length back-patching). */
  intAt(position: number, v: number): this {
    this.buf.writeUInt32BE(v, position);
    return this;
  }

  /** Length-prefixed bytes; strings are written as UTF-8. */
  bytes(v: Uint8Array | string): this {
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.int(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  bitstring(v: Bitstring): this {
    this.int(v.length);
    return this.bytes(v.bytes);
  }

  element(x: bigint): this {
    this.ensure(ELEMENT_BYTES);
    writeElement(x, this.buf, this.pos);
    this.pos += ELEMENT_BYTES;
    return this;
  }

  /** An int count, then the elements in the given order. */
  elements(xs: readonly bigint[]): this {
    this.int(xs.length);
    this.ensure(xs.length * ELEMENT_BYTES);
    for (const x of xs) this.element(x);
    return this;
  }

  /** A set, written ascending by numeric value as SKS does (`ZZp.Set.elements`, docs/recon.md §3). */
  set(xs: Iterable<bigint>): this {
    return this.elements(Array.from(xs).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** The bytes written so far (a view; do not write afterwards). */
  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}
