import { armor, ArmorError, crc24, dearmor } from '@dkeyserv/pgp';

describe('armor', () => {
  const data = Buffer.from(Array.from({ length: 200 }, (_, i) => i));

  test('round trip with CRC-24', () => {
    const text = armor(data);
    expect(text.endsWith('-----END PGP PUBLIC KEY BLOCK-----\n')).toBe(true);
    const [block] = dearmor(text);
    expect(block.type).toBe('PUBLIC KEY BLOCK');
    expect(block.data.equals(data)).toBe(true);
  });

  test('CRC-24 of RFC 9580 §6.1 (empty input is the init value)', () => {
    expect(crc24(Buffer.alloc(0))).toBe(0xb704ce);
  });

  test('several blocks, prose around them, CRLF, headers, no CRC line', () => {
    const a = armor(data, 'PUBLIC KEY BLOCK', [['Comment', 'x']]).replace(/\n/g, '\r\n');
    const b = armor(Buffer.from('hi')).replace(/^=.*\n/m, '');
    const blocks = dearmor(`hello\n${a}\nbetween\n${b}bye\n`);
    expect(blocks.map((x) => x.data.length)).toEqual([200, 2]);
    expect(blocks[0].headers).toEqual([['Comment', 'x']]);
  });

  test('bad CRC, bad base64 and missing END are rejected', () => {
    const good = armor(data);
    const badCrc = good.replace(/^=(.*)$/m, (_m, c: string) => '=' + (c[0] === 'A' ? 'B' : 'A') + c.slice(1));
    expect(() => dearmor(badCrc)).toThrow(ArmorError);
    expect(() => dearmor(good.replace(/^[A-Za-z0-9+/]{10}/m, '!!!!!!!!!!'))).toThrow(/not base64/);
    expect(() => dearmor(good.replace(/-----END.*/, ''))).toThrow(/no END/);
  });
});
