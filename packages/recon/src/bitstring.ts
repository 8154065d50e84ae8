/**
 * Prefix bitstrings (docs/recon.md §2 "bitstring", §5): bit i is bit 7 − (i mod 8) of byte
 * i div 8 (MSB-first), unused trailing bits are zero. A node's prefix has depth × bitQuantum bits;
 * an element's path is its 17-byte little-endian wire form read the same way, i.e. the MD5 bytes
 * in order.
 */
import { ELEMENT_BYTES, writeElement } from './field';

/** bitQuantum of SKS and conflux: 2 bits per level, 4 children per node (docs/recon.md §5). */
export const DEFAULT_BIT_QUANTUM = 2;

/** Bits in an element path: 17 bytes (docs/recon.md §5). */
export const ELEMENT_PATH_BITS = ELEMENT_BYTES * 8;

/** An immutable bit sequence. */
export class Bitstring {
  /** The empty prefix of the root node. */
  static readonly EMPTY = new Bitstring(Buffer.alloc(0), 0);

  private constructor(
    /** ceil(length / 8) bytes, unused low bits of the last byte zero. Do not mutate. */
    readonly bytes: Buffer,
    /** Number of bits. */
    readonly length: number,
  ) {}

  /** The first `bitLength` bits of `bytes` (copied; bits past the end are cleared). */
  static fromBytes(bytes: Uint8Array, bitLength: number): Bitstring {
    if (!Number.isInteger(bitLength) || bitLength < 0) throw new RangeError('bitstring: bad bit length');
    const byteLength = (bitLength + 7) >> 3;
    if (bytes.length < byteLength) throw new RangeError(`bitstring: ${bitLength} bits need ${byteLength} bytes`);
    const copy = Buffer.from(bytes.subarray(0, byteLength));
    if (bitLength % 8 !== 0) copy[byteLength - 1] &= (0xff << (8 - (bitLength % 8))) & 0xff;
    return new Bitstring(copy, bitLength);
  }

  /** From text such as "0110". */
  static parse(text: string): Bitstring {
    if (!/^[01]*$/.test(text)) throw new RangeError(`bitstring: not a bit string: ${JSON.stringify(text)}`);
    const bytes = Buffer.alloc((text.length + 7) >> 3);
    for (let i = 0; i < text.length; i++) if (text[i] === '1') bytes[i >> 3] |= 0x80 >> (i & 7);
    return new Bitstring(bytes, text.length);
  }

  /** Bit i (0 or 1). */
  get(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`bitstring: bit ${i} out of range`);
    return (this.bytes[i >> 3] >> (7 - (i & 7))) & 1;
  }

  /** This prefix extended by the `bitCount` low bits of `value`, most significant first. */
  append(value: number, bitCount: number): Bitstring {
    const length = this.length + bitCount;
    const bytes = Buffer.alloc((length + 7) >> 3);
    this.bytes.copy(bytes);
    for (let k = 0; k < bitCount; k++) {
      if ((value >> (bitCount - 1 - k)) & 1) {
        const i = this.length + k;
        bytes[i >> 3] |= 0x80 >> (i & 7);
      }
    }
    return new Bitstring(bytes, length);
  }

  /** Child `index` (0 … 2^bitQuantum − 1; its bits MSB-first, SKS order) of this prefix. */
  child(index: number, bitQuantum = DEFAULT_BIT_QUANTUM): Bitstring {
    if (!Number.isInteger(index) || index < 0 || index >= 1 << bitQuantum) throw new RangeError(`bitstring: no child ${index}`);
    return this.append(index, bitQuantum);
  }

  /** All 2^bitQuantum child prefixes in SKS's order: 00, 01, 10, 11 (docs/recon.md §5). */
  children(bitQuantum = DEFAULT_BIT_QUANTUM): Bitstring[] {
    const out: Bitstring[] = [];
    for (let i = 0; i < 1 << bitQuantum; i++) out.push(this.append(i, bitQuantum));
    return out;
  }

  /** True if this is a prefix of `other` (every bitstring is a prefix of itself). */
  isPrefixOf(other: Bitstring): boolean {
    if (this.length > other.length) return false;
    const whole = this.length >> 3;
    if (this.bytes.compare(other.bytes, 0, whole, 0, whole) !== 0) return false;
    const rest = this.length & 7;
    if (rest === 0) return true;
    const mask = (0xff << (8 - rest)) & 0xff;
    return (this.bytes[whole] & mask) === (other.bytes[whole] & mask);
  }

  /** The first n bits. */
  prefix(n: number): Bitstring {
    if (n > this.length) throw new RangeError('bitstring: prefix longer than the bitstring');
    return Bitstring.fromBytes(this.bytes, n);
  }

  equals(other: Bitstring): boolean {
    return this.length === other.length && this.bytes.equals(other.bytes);
  }

  /** "0110"; also a convenient map key. */
  toString(): string {
    let s = '';
    for (let i = 0; i < this.length; i++) s += (this.bytes[i >> 3] >> (7 - (i & 7))) & 1 ? '1' : '0';
    return s;
  }
}

/** The path of an element: its 17-byte little-endian wire form as a 136-bit bitstring (docs/recon.md §5). */
export function elementPath(x: bigint): Bitstring {
  const bytes = Buffer.allocUnsafe(ELEMENT_BYTES);
  writeElement(x, bytes, 0);
  return Bitstring.fromBytes(bytes, ELEMENT_PATH_BITS);
}

/**
 * The child index taken at `depth` by the path in `path` (17-byte wire form or a Bitstring's
 * bytes): bits [depth·bitQuantum, (depth+1)·bitQuantum) read MSB-first, as SKS indexes children.
 */
export function childIndex(path: Uint8Array, depth: number, bitQuantum = DEFAULT_BIT_QUANTUM): number {
  let index = 0;
  const start = depth * bitQuantum;
  for (let k = 0; k < bitQuantum; k++) {
    const i = start + k;
    if (i >> 3 >= path.length) throw new RangeError('bitstring: path too short for this depth');
    index = (index << 1) | ((path[i >> 3] >> (7 - (i & 7))) & 1);
  }
  return index;
}
