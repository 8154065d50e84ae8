/**
 * Fuzzing the packet splitter (docs/architecture.md §8): any bytes either split into packets or
 * raise a PgpError (PacketError, LimitError), never another error, a hang or super-linear time.
 */
import fc from 'fast-check';
import { isKeyringError, PgpError, readPacket, splitKeyring, splitPackets } from '@dkeyserv/pgp';
import { expectLinear } from '../../../../test/helpers/growth';
import { fuzzInput, parsesOrTypedError } from '../../../../test/helpers/mutate';
import { KEYRING, KEYS } from './corpus';

const RUNS = { seed: 1201, numRuns: 800 };
const BASES = [...KEYS, KEYRING];

describe('packet splitter: parses or PgpError', () => {
  test('splitPackets', () => {
    fc.assert(
      fc.property(fuzzInput(BASES), (buf) => {
        parsesOrTypedError([PgpError], () => {
          const packets = splitPackets(buf);
          // what splits covers the input exactly, unless a partial-length packet was re-encoded
          expect(packets.every((p) => p.raw.length >= p.body.length)).toBe(true);
        });
      }),
      RUNS,
    );
  });

  test('splitKeyring yields keys then at most one KeyringError, and throws nothing', () => {
    fc.assert(
      fc.property(fuzzInput(BASES), (buf) => {
        const entries = [...splitKeyring(buf)];
        const errors = entries.filter(isKeyringError);
        expect(errors.length).toBeLessThanOrEqual(1);
        if (errors.length === 1) {
          expect(entries[entries.length - 1]).toBe(errors[0]);
          expect(errors[0].error).toBeInstanceOf(PgpError);
        }
      }),
      RUNS,
    );
  });

  test('readPacket at any offset', () => {
    fc.assert(
      fc.property(fuzzInput(BASES), fc.nat(), (buf, i) => {
        parsesOrTypedError([PgpError], () => readPacket(buf, buf.length === 0 ? 0 : i % buf.length));
      }),
      RUNS,
    );
  });
});

describe('packet splitter: linear time', () => {
  const run = (buf: Buffer) => parsesOrTypedError([PgpError], () => splitPackets(buf));
  const ring = (buf: Buffer) => {
    for (const e of splitKeyring(buf)) void e;
  };

  test('many empty packets', () => {
    expectLinear('splitPackets', (n) => Buffer.alloc(2 * n, Buffer.from([0xcd, 0x00])), run, 5000);
  });

  test('a partial-length packet of one-byte chunks', () => {
    const make = (n: number) => Buffer.concat([Buffer.from([0xcd]), Buffer.alloc(2 * n, Buffer.from([0xe0, 0x41])), Buffer.from([0x00])]);
    expectLinear('partial lengths', make, run, 5000);
  });

  test('partial chunks that end truncated', () => {
    const make = (n: number) => Buffer.concat([Buffer.from([0xcd]), Buffer.alloc(2 * n, Buffer.from([0xe0, 0x41])), Buffer.from([0xe5])]);
    expectLinear('truncated partial lengths', make, run, 5000);
  });

  test('many public-key packets in a keyring', () => {
    const make = (n: number) => Buffer.alloc(3 * n, Buffer.from([0xc6, 0x01, 0x04]));
    expectLinear('splitKeyring', make, ring, 4000);
  });

  test('a keyring of many real keys', () => {
    expectLinear('splitKeyring', (n) => Buffer.concat(new Array(n).fill(KEYRING)), ring, 50);
  });
});
