import { Bitstring } from '../src/bitstring';
import * as Z from '../src/field';
import { MessageReader, MsgType, encodeMessage } from '../src/messages/codec';
import type { ReconMessage } from '../src/messages/codec';
import { DONE } from '../src/messages/done';
import { FLUSH } from '../src/messages/flush';
import { SYNC_FAIL } from '../src/messages/sync-fail';
import { ReconProtocolError } from '../src/errors';
import type { ProtocolFailure } from '../src/errors';
import { D, HEX, SV_A } from './vectors';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Buffer.from(h, 'hex');
const [d1, d2] = D.map((d) => d.zz);
/** A frame around a hex payload: int L, type byte, payload. */
const frame = (code: number, payloadHex: string) => {
  const payload = bytes(payloadHex);
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length + 1);
  head[4] = code;
  return Buffer.concat([head, payload]);
};
const int = (n: number) => n.toString(16).padStart(8, '0');

/** Decodes exactly one message from the bytes. */
function decodeOne(buf: Buffer, reader = new MessageReader()): ReconMessage {
  reader.push(buf);
  const msg = reader.next();
  expect(msg).toBeDefined();
  expect(reader.next()).toBeUndefined();
  reader.end();
  return msg!;
}

function protocolError(fn: () => unknown): ReconProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReconProtocolError);
    return err as ReconProtocolError;
  }
  throw new Error('expected a ReconProtocolError');
}

function rejects(buf: Buffer, reason: ProtocolFailure, limits?: ConstructorParameters<typeof MessageReader>[0]): ReconProtocolError {
  const reader = new MessageReader(limits);
  reader.push(buf);
  const err = protocolError(() => reader.next());
  expect(err.reason).toBe(reason);
  // The reader stays failed.
  expect(() => reader.next()).toThrow(ReconProtocolError);
  return err;
}

describe('exact message bytes (docs/recon.md §3, vectors.ts)', () => {
  it('ReconRqstPoly, root, size 5, svalues of {d1..d5}', () => {
    const msg: ReconMessage = { type: 'ReconRqstPoly', prefix: Bitstring.EMPTY, size: 5, samples: SV_A };
    expect(hex(encodeMessage(msg))).toBe(HEX.poly);
    expect(HEX.poly.slice(42, 76)).toBe(HEX.polyFirstSample);
    const back = decodeOne(bytes(HEX.poly));
    expect(back).toEqual(msg);
  });

  it('ReconRqstFull, prefix "01", {d1}', () => {
    const msg: ReconMessage = { type: 'ReconRqstFull', prefix: Bitstring.parse('01'), elements: [d1] };
    expect(hex(encodeMessage(msg))).toBe(HEX.full01d1);
    expect(decodeOne(bytes(HEX.full01d1))).toEqual(msg);
  });

  it('Elements {d1, d2} in SKS order (ascending), whatever order they are given in', () => {
    expect(hex(encodeMessage({ type: 'Elements', elements: [d1, d2] }))).toBe(HEX.elementsD1D2);
    expect(hex(encodeMessage({ type: 'Elements', elements: [d2, d1] }))).toBe(HEX.elementsD1D2);
    expect(decodeOne(bytes(HEX.elementsD1D2))).toEqual({ type: 'Elements', elements: [d2, d1] });
  });

  it('FullElements uses code 3 and the same set encoding', () => {
    const encoded = encodeMessage({ type: 'FullElements', elements: [d1, d2] });
    expect(hex(encoded)).toBe(`0000002703${HEX.elementsD1D2.slice(10)}`);
    expect(decodeOne(encoded)).toEqual({ type: 'FullElements', elements: [d2, d1] });
  });

  it('Flush, Done, SyncFail', () => {
    expect(hex(encodeMessage(FLUSH))).toBe(HEX.flush);
    expect(hex(encodeMessage(DONE))).toBe(HEX.done);
    expect(hex(encodeMessage(SYNC_FAIL))).toBe(HEX.syncFail);
    expect(decodeOne(bytes(HEX.flush))).toEqual({ type: 'Flush' });
    expect(decodeOne(bytes(HEX.done))).toEqual({ type: 'Done' });
    expect(decodeOne(bytes(HEX.syncFail))).toEqual({ type: 'SyncFail' });
  });

  it('Error as SKS sends it for an unknown node', () => {
    const text = 'server should never received request for non-existant node (ReconRqst_Full)';
    expect(decodeOne(bytes(HEX.errorSks))).toEqual({ type: 'Error', text });
    expect(hex(encodeMessage({ type: 'Error', text }))).toBe(HEX.errorSks);
  });

  it('message codes', () => {
    expect(MsgType).toEqual({
      ReconRqstPoly: 0, ReconRqstFull: 1, Elements: 2, FullElements: 3, SyncFail: 4, Done: 5, Flush: 6, Error: 7, Config: 10,
    });
  });
});

describe('MessageReader streaming', () => {
  const stream = Buffer.concat([
    bytes(HEX.poly),
    bytes(HEX.full01d1),
    bytes(HEX.elementsD1D2),
    bytes(HEX.flush),
    bytes(HEX.errorSks),
    bytes(HEX.configConflux),
    bytes(HEX.done),
  ]);
  const types = ['ReconRqstPoly', 'ReconRqstFull', 'Elements', 'Flush', 'Error', 'Config', 'Done'];

  it('decodes a whole stream pushed at once', () => {
    const reader = new MessageReader();
    reader.push(stream);
    expect([...reader.messages()].map((m) => m.type)).toEqual(types);
    expect(reader.buffered).toBe(0);
    reader.end();
  });

  it('works when fed one byte at a time', () => {
    const reader = new MessageReader();
    const got: ReconMessage[] = [];
    for (let i = 0; i < stream.length; i++) {
      reader.push(stream.subarray(i, i + 1));
      for (const m of reader.messages()) got.push(m);
    }
    expect(got.map((m) => m.type)).toEqual(types);
    expect(got[0]).toEqual({ type: 'ReconRqstPoly', prefix: Bitstring.EMPTY, size: 5, samples: SV_A });
    reader.end();
  });

  it('works with random chunk sizes and survives buffer reuse', () => {
    const reader = new MessageReader();
    const got: ReconMessage[] = [];
    let seed = 1;
    for (let i = 0; i < stream.length; ) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const n = 1 + (seed % 40);
      reader.push(stream.subarray(i, i + n));
      i += n;
      got.push(...reader.messages());
    }
    const whole = new MessageReader();
    whole.push(stream);
    expect(got).toEqual([...whole.messages()]);
  });

  it('end() reports a stream that stops inside a message', () => {
    const reader = new MessageReader();
    reader.push(bytes(HEX.full01d1).subarray(0, 20));
    expect(reader.next()).toBeUndefined();
    expect(protocolError(() => reader.end()).reason).toBe('truncated');
  });
});

describe('hostile input', () => {
  it('a length of 2^32 − 1 is rejected at once, without buffering', () => {
    const err = rejects(bytes('ffffffff'), 'frame-length');
    expect(err.message).toMatch(/4294967295/);
  });

  it('frame lengths above a configured limit and zero are rejected', () => {
    rejects(bytes('0000100102'), 'frame-length', { maxFrameLength: 4096 });
    rejects(bytes('00000000'), 'frame-length');
    rejects(bytes(HEX.elementsD1D2), 'frame-length', { maxFrameLength: 16 });
  });

  it('unknown codes, including legacy DbRqst/DbRepl, are rejected as soon as the type byte arrives', () => {
    for (const code of [8, 9, 11, 0xff]) {
      const err = rejects(bytes(`00000100${code.toString(16).padStart(2, '0')}`), 'unknown-message');
      expect(err.message).toContain(`code ${code}`);
    }
    expect(rejects(bytes('0000000108'), 'unknown-message').message).toContain('DbRqst');
    expect(rejects(bytes('0000000109'), 'unknown-message').message).toContain('DbRepl');
  });

  it('a payload shorter than its fields is truncated', () => {
    // Full with prefix "01" and a set of one element, but only 10 element bytes in the frame.
    rejects(frame(1, `${int(2)}${int(1)}40${int(1)}${'ab'.repeat(10)}`), 'truncated');
    // Error whose string length runs past the frame.
    rejects(frame(7, `${int(10)}4142`), 'truncated');
    // Poly without its samples.
    rejects(frame(0, `${int(0)}${int(0)}${int(5)}`), 'truncated');
  });

  it('bytes left inside a frame after the payload are rejected', () => {
    rejects(frame(6, '00'), 'trailing-bytes'); // Flush with one extra byte
    rejects(Buffer.concat([frame(2, `${HEX.elementsD1D2.slice(10)}00`)]), 'trailing-bytes');
  });

  it('an Elements count larger than the frame is rejected before allocating', () => {
    const err = rejects(frame(2, int(4096)), 'truncated');
    expect(err.message).toMatch(/4096 elements do not fit in the 0 bytes left/);
    rejects(frame(2, `${int(3)}${'00'.repeat(34)}`), 'truncated');
    rejects(frame(2, int(0xffffffff)), 'limit');
    rejects(bytes(HEX.elementsD1D2), 'limit', { maxElements: 1 });
  });

  it('a bitstring longer than the limit, or with the wrong byte count, is rejected', () => {
    // ReconRqstFull with a 137-bit prefix (18 bytes), and one of 2^32 − 1 bits.
    rejects(frame(1, `${int(137)}${int(18)}${'00'.repeat(18)}${int(0)}`), 'limit');
    rejects(frame(1, `${int(0xffffffff)}${int(0)}${int(0)}`), 'limit');
    // 136 bits is the limit and fine.
    const ok = new MessageReader();
    ok.push(frame(1, `${int(136)}${int(17)}${'ff'.repeat(17)}${int(0)}`));
    expect(ok.next()).toEqual({ type: 'ReconRqstFull', prefix: Bitstring.parse('1'.repeat(136)), elements: [] });
    // Byte count must be ceil(bits / 8).
    rejects(frame(1, `${int(2)}${int(2)}4000${int(0)}`), 'bitstring');
    rejects(frame(1, `${int(16)}${int(1)}40${int(0)}`), 'bitstring');
    rejects(frame(1, `${int(0)}${int(1)}00${int(0)}`), 'bitstring');
  });

  it('a value ≥ p is rejected', () => {
    rejects(frame(2, `${int(1)}${'ff'.repeat(17)}`), 'element');
    rejects(frame(2, `${int(1)}${Z.elementToBytes(Z.P_SKS - 1n).toString('hex').replace(/^1a/, '1b')}`), 'element');
  });

  it('Error and Config strings above the limit are rejected', () => {
    rejects(frame(7, `${int(65537)}${'41'.repeat(16)}`), 'limit');
    const reader = new MessageReader({ maxStringLength: 4 });
    reader.push(bytes(HEX.configConflux));
    expect(protocolError(() => reader.next()).reason).toBe('limit');
    rejects(frame(10, int(65)), 'limit'); // 65 Config pairs
    rejects(frame(10, `${int(1)}${int(0x7fffffff)}`), 'limit'); // a huge key
  });

  it('values are not kept as views into the reader buffer', () => {
    const reader = new MessageReader();
    reader.push(bytes(HEX.full01d1));
    const msg = reader.next();
    reader.push(Buffer.alloc(64, 0xee));
    expect(msg).toEqual({ type: 'ReconRqstFull', prefix: Bitstring.parse('01'), elements: [d1] });
  });
});

describe('encoding', () => {
  it('round-trips every message type', () => {
    const msgs: ReconMessage[] = [
      { type: 'ReconRqstPoly', prefix: Bitstring.parse('110001'), size: 4294967295, samples: Z.samplePoints(6) },
      { type: 'ReconRqstFull', prefix: Bitstring.EMPTY, elements: [] },
      { type: 'Elements', elements: [Z.P_SKS - 1n, 0n, 5n] },
      { type: 'FullElements', elements: [] },
      SYNC_FAIL,
      DONE,
      FLUSH,
      { type: 'Error', text: 'héllo' },
      { type: 'Config', entries: [['k', Buffer.from('v')]] },
    ];
    const reader = new MessageReader();
    reader.push(Buffer.concat(msgs.map(encodeMessage)));
    const back = [...reader.messages()];
    expect(back.map((m) => m.type)).toEqual(msgs.map((m) => m.type));
    expect(back[2]).toEqual({ type: 'Elements', elements: [0n, 5n, Z.P_SKS - 1n] });
    expect(back[0]).toEqual(msgs[0]);
    expect(back[7]).toEqual(msgs[7]);
  });

  it('refuses values that cannot be encoded', () => {
    expect(() => encodeMessage({ type: 'Elements', elements: [Z.P_SKS] })).toThrow(RangeError);
    expect(() => encodeMessage({ type: 'ReconRqstPoly', prefix: Bitstring.EMPTY, size: -1, samples: [] })).toThrow(RangeError);
  });
});
