import { Bitstring, ELEMENT_PATH_BITS, childIndex, elementPath } from '../src/bitstring';
import { elementToBytes } from '../src/field';
import { D } from './vectors';

describe('Bitstring (docs/recon.md §2, conflux bitstring_test.go)', () => {
  it('packs bits MSB-first', () => {
    expect(Bitstring.parse('1').bytes.toString('hex')).toBe('80');
    expect(Bitstring.parse('10').bytes.toString('hex')).toBe('80');
    expect(Bitstring.parse('11').bytes.toString('hex')).toBe('c0');
    expect(Bitstring.parse('01').bytes.toString('hex')).toBe('40');
    expect(Bitstring.parse('1000000000000001').bytes.toString('hex')).toBe('8001');
    expect(Bitstring.parse('').bytes).toHaveLength(0);
    expect(Bitstring.EMPTY.length).toBe(0);
  });

  it('reads bits and prints them', () => {
    const b = Bitstring.parse('0110100');
    expect([...Array(b.length).keys()].map((i) => b.get(i))).toEqual([0, 1, 1, 0, 1, 0, 0]);
    expect(b.toString()).toBe('0110100');
    expect(() => b.get(7)).toThrow(RangeError);
    expect(() => Bitstring.parse('012')).toThrow(RangeError);
  });

  it('fromBytes copies and clears bits past the length', () => {
    const src = Buffer.from('ffff', 'hex');
    const b = Bitstring.fromBytes(src, 3);
    expect(b.bytes.toString('hex')).toBe('e0');
    expect(b.toString()).toBe('111');
    src[0] = 0;
    expect(b.toString()).toBe('111');
    expect(() => Bitstring.fromBytes(Buffer.alloc(1), 9)).toThrow(RangeError);
  });

  it('children for bitQuantum 2 come in SKS order 00, 01, 10, 11 (docs/recon.md §5)', () => {
    expect(Bitstring.EMPTY.children().map(String)).toEqual(['00', '01', '10', '11']);
    expect(Bitstring.parse('110').children().map(String)).toEqual(['11000', '11001', '11010', '11011']);
    expect(Bitstring.parse('01').child(2).toString()).toBe('0110');
    expect(Bitstring.parse('0').child(1, 1).toString()).toBe('01');
    expect(() => Bitstring.EMPTY.child(4)).toThrow(RangeError);
    // The wire example of vectors.ts (HEX.full01d1): prefix "01" is 2 bits in one byte 0x40.
    expect(Bitstring.EMPTY.child(1).bytes.toString('hex')).toBe('40');
  });

  it('compares prefixes', () => {
    const a = Bitstring.parse('1100010');
    expect(Bitstring.parse('11').isPrefixOf(a)).toBe(true);
    expect(Bitstring.parse('110001').isPrefixOf(a)).toBe(true);
    expect(Bitstring.parse('111').isPrefixOf(a)).toBe(false);
    expect(a.isPrefixOf(Bitstring.parse('11'))).toBe(false);
    expect(Bitstring.EMPTY.isPrefixOf(a)).toBe(true);
    expect(a.prefix(4).equals(Bitstring.parse('1100'))).toBe(true);
    expect(a.equals(Bitstring.parse('1100011'))).toBe(false);
  });
});

describe('element paths (docs/recon.md §5)', () => {
  it('are the 17-byte wire form read MSB-first (the MD5 bytes in order)', () => {
    for (const d of D) {
      const path = elementPath(d.zz);
      expect(path.length).toBe(ELEMENT_PATH_BITS);
      expect(path.toString().slice(0, 8)).toBe(d.bits0to7);
      expect(path.bytes.toString('hex')).toBe(`${d.md5}00`);
    }
  });

  it('d1 = c4… goes root → "11" → "1100" → "110001"', () => {
    const bytes = elementToBytes(D[0].zz);
    expect([0, 1, 2, 3].map((depth) => childIndex(bytes, depth))).toEqual([0b11, 0b00, 0b01, 0b00]);
    const path = elementPath(D[0].zz);
    let node = Bitstring.EMPTY;
    for (let depth = 0; depth < 3; depth++) node = node.child(childIndex(bytes, depth));
    expect(node.toString()).toBe('110001');
    expect(node.isPrefixOf(path)).toBe(true);
    expect(() => childIndex(bytes, 68)).toThrow(RangeError);
  });
});
