/**
 * Fuzzing the recon message decoder (docs/architecture.md §8, docs/recon.md §3): any byte stream,
 * in any chunking, either yields messages or raises a ReconError (ReconProtocolError), never
 * another error, a hang, an allocation from a declared size or super-linear time. The Config
 * checks (checkConfig, parseConfig) get the decoded Configs.
 */
import fc from 'fast-check';
import { Bitstring } from '../../src/bitstring';
import { ReconError } from '../../src/errors';
import * as Z from '../../src/field';
import { encodeMessage, MessageReader } from '../../src/messages/codec';
import type { ReconMessage } from '../../src/messages/codec';
import { checkConfig, configMessage, encodeConfigStatus, parseConfig } from '../../src/messages/config';
import type { ReconConfig } from '../../src/messages/config';
import { DONE } from '../../src/messages/done';
import { FLUSH } from '../../src/messages/flush';
import { SYNC_FAIL } from '../../src/messages/sync-fail';
import { expectLinear } from '../../../../test/helpers/growth';
import { fuzzInput, parsesOrTypedError } from '../../../../test/helpers/mutate';
import { D, SV_A } from '../vectors';

const RUNS = { seed: 1206, numRuns: 800 };
const OURS: ReconConfig = { version: '1.1.6', httpPort: 11371, bitQuantum: 2, mbar: 5, filters: 'yminsky.dedup,yminsky.merge' };
const [d1, d2] = D.map((d) => d.zz);

const MESSAGES: ReconMessage[] = [
  { type: 'ReconRqstPoly', prefix: Bitstring.EMPTY, size: 5, samples: SV_A },
  { type: 'ReconRqstFull', prefix: Bitstring.parse('0110'), elements: [d1, d2] },
  { type: 'Elements', elements: [d1, d2] },
  { type: 'FullElements', elements: [] },
  { type: 'Error', text: 'server should never received request for non-existant node' },
  configMessage({ ...OURS, custom: [['x', 'y']] }),
  SYNC_FAIL,
  DONE,
  FLUSH,
];
const FRAMES = MESSAGES.map(encodeMessage);
const STREAM = Buffer.concat(FRAMES);

/** Feeds `buf` in chunks of the given sizes, taking messages after each; a Config is also checked. */
function drain(buf: Buffer, chunks: readonly number[] = [buf.length], status = false): ReconMessage[] {
  const reader = new MessageReader({ maxFrameLength: 1 << 20 });
  const out: ReconMessage[] = [];
  let at = 0;
  let i = 0;
  while (at < buf.length) {
    const n = Math.max(1, chunks[i++ % chunks.length]);
    reader.push(buf.subarray(at, at + n));
    at += n;
    if (status) reader.nextStatus();
    for (const m of reader.messages()) {
      out.push(m);
      if (m.type === 'Config') {
        checkConfig(OURS, m);
        parseConfig(m);
      }
    }
  }
  reader.end();
  return out;
}

describe('recon message decoder: messages or ReconError', () => {
  test('mutated frames and streams, random bytes, in random chunks', () => {
    fc.assert(
      fc.property(fuzzInput([...FRAMES, STREAM], 512), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), (buf, chunks) => {
        parsesOrTypedError([ReconError], () => drain(buf, chunks));
      }),
      RUNS,
    );
  });

  test('config status strings', () => {
    const bases = [encodeConfigStatus({ passed: true }), encodeConfigStatus({ passed: false, reason: 'mbar values do not match' })];
    fc.assert(fc.property(fuzzInput(bases, 64), (buf) => parsesOrTypedError([ReconError], () => drain(buf, [buf.length], true))), RUNS);
  });

  test('valid streams decode to their messages whatever the chunking', () => {
    const whole = drain(STREAM);
    expect(whole.map((m) => m.type)).toEqual(MESSAGES.map((m) => m.type));
    expect(Buffer.concat(whole.map(encodeMessage)).equals(STREAM)).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }), (chunks) => {
        expect(drain(STREAM, chunks)).toEqual(whole);
      }),
      { ...RUNS, numRuns: 100 },
    );
  });

  test('Configs with arbitrary values: checkConfig answers, parseConfig answers or ReconError', () => {
    const value = fc.oneof(fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '_', 'x', 'o', 'b', '-', '+', ',', 'a'), maxLength: 16 }).map((s) => Buffer.from(s)));
    const key = fc.constantFrom('version', 'http port', 'bitquantum', 'mbar', 'filters', 'other');
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 8 }), (entries) => {
        const m = { type: 'Config' as const, entries };
        const status = checkConfig(OURS, m);
        expect(typeof status.passed).toBe('boolean');
        parsesOrTypedError([ReconError], () => parseConfig(m));
      }),
      RUNS,
    );
  });
});

describe('recon message decoder: bounded and linear', () => {
  const frame = (code: number, payload: Buffer, declared = payload.length + 1) => {
    const head = Buffer.alloc(5);
    head.writeUInt32BE(declared);
    head[4] = code;
    return Buffer.concat([head, payload]);
  };
  const int = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };

  test.each<[string, Buffer]>([
    ['a frame declaring 4 GiB', frame(2, Buffer.alloc(0), 0xffffffff)],
    ['Elements declaring 2^32 − 1 elements', frame(2, int(0xffffffff))],
    ['a Config declaring 2^32 − 1 pairs', frame(10, int(0xffffffff))],
    ['a Config key declaring 2^32 − 1 bytes', frame(10, Buffer.concat([int(1), int(0xffffffff)]))],
    ['a prefix declaring 2^32 − 1 bits', frame(0, Buffer.concat([int(0xffffffff), int(0x20000000)]))],
    ['an Error text declaring 2^32 − 1 bytes', frame(7, int(0xffffffff))],
  ])('%s is refused with a ReconError', (_what, buf) => {
    const reader = new MessageReader();
    reader.push(buf);
    expect(() => reader.next()).toThrow(ReconError);
  });

  test('a config failure reason declaring 2^32 − 1 bytes is refused', () => {
    const reader = new MessageReader();
    reader.push(Buffer.concat([int(6), Buffer.from('failed'), int(0xffffffff)]));
    expect(() => reader.nextStatus()).toThrow(ReconError);
  });

  test('many small messages', () => {
    expectLinear('MessageReader', (n) => Buffer.concat(new Array(n).fill(encodeMessage(DONE))), (b) => drain(b), 2000);
  });

  test('a large Elements message, one byte at a time', () => {
    const make = (n: number) => encodeMessage({ type: 'Elements', elements: Array.from({ length: n }, (_, i) => Z.reduce(BigInt(i) * 7919n)) });
    expectLinear('MessageReader', make, (b) => drain(b, [1]), 100);
  });

  test('a long Config version and many filters', () => {
    const make = (n: number) => configMessage({ ...OURS, version: '1' + '_'.repeat(n) + '.1.6', filters: 'a,'.repeat(n) });
    expectLinear('checkConfig', make, (m) => checkConfig(OURS, m), 4000);
  });
});
