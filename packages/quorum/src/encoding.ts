/**
 * The canonical binary encoding shared by the policy hash and the attestation statement:
 * big-endian integers, variable-length fields preceded by their length, nothing optional, and
 * strict reads (exact lengths, no trailing bytes), so one value has exactly one encoding.
 */
import { MalformedError } from './errors';

export class ByteWriter {
  private readonly parts: Buffer[] = [];

  u8(n: number): this {
    this.parts.push(Buffer.from([n]));
    return this;
  }

  u16(n: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.parts.push(b);
    return this;
  }

  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }

  /** an unsigned 64-bit integer; `n` must be a safe integer ≥ 0 */
  u64(n: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    this.parts.push(b);
    return this;
  }

  /** fixed-length bytes: the length is implied by the format */
  fixed(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }

  /** one length byte, then the bytes (at most 255) */
  bytes8(b: Uint8Array): this {
    if (b.length > 255) throw new RangeError('field longer than 255 bytes');
    return this.u8(b.length).fixed(b);
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export class ByteReader {
  private at = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly what: string,
  ) {}

  get offset(): number {
    return this.at;
  }

  private take(n: number, field: string): Buffer {
    if (this.at + n > this.buf.length) throw new MalformedError(`${this.what}: truncated at ${field}`);
    const b = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }

  u8(field: string): number {
    return this.take(1, field)[0];
  }

  u64(field: string): number {
    const v = this.take(8, field).readBigUInt64BE();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new MalformedError(`${this.what}: ${field} out of range`);
    return Number(v);
  }

  /** a copy of `n` bytes (decoded values outlive the input buffer) */
  fixed(n: number, field: string): Buffer {
    return Buffer.from(this.take(n, field));
  }

  /** a length byte and that many bytes; the length must be one of `allowed` */
  bytes8(field: string, allowed: readonly number[]): Buffer {
    const n = this.u8(field);
    if (!allowed.includes(n)) throw new MalformedError(`${this.what}: ${field} has length ${n}, expected ${allowed.join(' or ')}`);
    return this.fixed(n, field);
  }

  /** the input must end here */
  end(): void {
    if (this.at !== this.buf.length) throw new MalformedError(`${this.what}: ${this.buf.length - this.at} trailing bytes`);
  }
}
