import { encodePacket, LimitError, PacketError, readPacket, splitPackets } from '@dkeyserv/pgp';

describe('packet framing', () => {
  test('old-format one-, two- and four-octet lengths', () => {
    const body = Buffer.alloc(300, 7);
    const one = Buffer.concat([Buffer.from([0x88, 3]), Buffer.from([1, 2, 3])]); // tag 2, len type 0
    const two = Buffer.concat([Buffer.from([0x99, 0x01, 0x2c]), body]); // tag 6, len type 1
    const four = Buffer.concat([Buffer.from([0xb6, 0, 0, 0, 3]), Buffer.from('abc')]); // tag 13, len type 2
    const packets = splitPackets(Buffer.concat([one, two, four]));
    expect(packets.map((p) => p.tag)).toEqual([2, 6, 13]);
    expect(packets[1].body.equals(body)).toBe(true);
    expect(packets[2].body.toString()).toBe('abc');
    expect(packets[1].raw.length).toBe(303);
  });

  test('new-format lengths round-trip through encodePacket', () => {
    for (const n of [0, 191, 192, 8383, 8384, 70000]) {
      const p = encodePacket(13, Buffer.alloc(n, 1));
      const [back] = splitPackets(p.raw);
      expect(back.tag).toBe(13);
      expect(back.body.length).toBe(n);
    }
  });

  test('partial body lengths are joined', () => {
    // 0xe1 = partial chunk of 2 bytes, then a final 1-octet length of 3
    const buf = Buffer.from([0xc0 | 11, 0xe1, 1, 2, 3, 9, 9, 9]);
    const { packet, next } = readPacket(buf, 0);
    expect(next).toBe(buf.length);
    expect([...packet.body]).toEqual([1, 2, 9, 9, 9]);
  });

  test('hostile headers fail cleanly', () => {
    expect(() => splitPackets(Buffer.from([0x12, 0x00]))).toThrow(PacketError); // bit 7 clear
    expect(() => splitPackets(Buffer.from([0x99, 0x01]))).toThrow(PacketError); // truncated length
    expect(() => splitPackets(Buffer.from([0x99, 0x00, 0x10, 1, 2]))).toThrow(/declares 16 bytes/);
    // a 1 GB length field
    const huge = Buffer.from([0xc6, 0xff, 0x40, 0x00, 0x00, 0x00, 4, 0, 0, 0]);
    expect(() => splitPackets(huge)).toThrow(LimitError);
    // partial lengths that add up past the limit
    const chunks = [Buffer.from([0xcb])];
    for (let i = 0; i < 5; i++) chunks.push(Buffer.from([0xe0 | 21]), Buffer.alloc(1 << 21));
    chunks.push(Buffer.from([0]));
    expect(() => splitPackets(Buffer.concat(chunks))).toThrow(LimitError);
  });
});
