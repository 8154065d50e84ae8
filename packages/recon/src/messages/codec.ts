/**
 * Recon framing (docs/recon.md §3): `int L | u8 type | payload (L − 1 bytes)`.
 *
 * `encodeMessage` builds one frame. `MessageReader` is an incremental decoder for a hostile
 * byte stream: feed it chunks with `push`, take complete messages with `next` (or the bare
 * config status strings of docs/recon.md §4 with `nextStatus`). Every declared length is checked against
 * the limits before bytes are buffered for it, and nothing is allocated from a declared size;
 * any violation throws ReconProtocolError, after which the reader stays failed.
 */
import { readConfig, writeConfig } from './config';
import type { ConfigMessage, ConfigStatus } from './config';
import { DONE } from './done';
import type { Done } from './done';
import { elementListCodec } from './elements';
import type { Elements } from './elements';
import { readErrorMessage, writeErrorMessage } from './error';
import type { ErrorMessage } from './error';
import { FLUSH } from './flush';
import type { Flush } from './flush';
import type { FullElements } from './full-elements';
import { readReconRqstFull, writeReconRqstFull } from './recon-rqst-full';
import type { ReconRqstFull } from './recon-rqst-full';
import { readReconRqstPoly, writeReconRqstPoly } from './recon-rqst-poly';
import type { ReconRqstPoly } from './recon-rqst-poly';
import { SYNC_FAIL } from './sync-fail';
import type { SyncFail } from './sync-fail';
import { ReconProtocolError } from '../errors';
import { DEFAULT_LIMITS, WireReader, WireWriter } from './wire';
import type { ReconLimits } from './wire';

export type ReconMessage =
  | ReconRqstPoly
  | ReconRqstFull
  | Elements
  | FullElements
  | SyncFail
  | Done
  | Flush
  | ErrorMessage
  | ConfigMessage;

/** Message type codes (docs/recon.md §3). 8 DbRqst and 9 DbRepl are legacy and rejected like unknown codes. */
export const MsgType = Object.freeze({
  ReconRqstPoly: 0,
  ReconRqstFull: 1,
  Elements: 2,
  FullElements: 3,
  SyncFail: 4,
  Done: 5,
  Flush: 6,
  Error: 7,
  Config: 10,
} as const);

type Codec<M extends ReconMessage> = {
  readonly write: (w: WireWriter, msg: M) => void;
  readonly read: (r: WireReader) => M;
};
type Codecs = { readonly [K in ReconMessage['type']]: Codec<Extract<ReconMessage, { type: K }>> };

const empty = <M extends ReconMessage>(msg: M): Codec<M> => ({ write: () => {}, read: () => msg });

const CODECS: Codecs = {
  ReconRqstPoly: { write: writeReconRqstPoly, read: readReconRqstPoly },
  ReconRqstFull: { write: writeReconRqstFull, read: readReconRqstFull },
  Elements: elementListCodec('Elements'),
  FullElements: elementListCodec('FullElements'),
  SyncFail: empty<SyncFail>(SYNC_FAIL),
  Done: empty<Done>(DONE),
  Flush: empty<Flush>(FLUSH),
  Error: { write: writeErrorMessage, read: readErrorMessage },
  Config: { write: writeConfig, read: readConfig },
};

const NAME_BY_CODE = new Map<number, ReconMessage['type']>(
  Object.entries(MsgType).map(([name, code]) => [code, name as ReconMessage['type']]),
);

/** One framed message: int L, type byte, payload. */
export function encodeMessage(msg: ReconMessage): Buffer {
  const w = new WireWriter();
  w.int(0).byte(MsgType[msg.type]);
  (CODECS[msg.type] as Codec<ReconMessage>).write(w, msg);
  w.intAt(0, w.length - 4);
  return Buffer.from(w.finish());
}

/** Decodes one frame payload (the bytes after L): type byte and payload. */
function decodeFrame(frame: Buffer, limits: ReconLimits): ReconMessage {
  const r = new WireReader(frame, limits);
  const code = r.byte('message type');
  const name = NAME_BY_CODE.get(code);
  if (name === undefined) throw unknownCode(code);
  const msg = CODECS[name].read(r);
  r.end(name);
  return msg;
}

function unknownCode(code: number): ReconProtocolError {
  const legacy = code === 8 ? ' (DbRqst)' : code === 9 ? ' (DbRepl)' : '';
  return new ReconProtocolError('unknown-message', `unexpected message code ${code}${legacy}`);
}

/** Incremental decoder of a recon byte stream. */
export class MessageReader {
  readonly limits: ReconLimits;
  /** Received bytes live in buf[start, end); the buffer grows with what arrived, never with a declared length. */
  private buf = Buffer.alloc(0);
  private start = 0;
  private end_ = 0;
  private failure: ReconProtocolError | undefined;

  constructor(limits: Partial<ReconLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Bytes received and not yet returned as a message. */
  get buffered(): number {
    return this.end_ - this.start;
  }

  /** Appends received bytes (copied). */
  push(chunk: Uint8Array): void {
    this.throwIfFailed();
    const n = chunk.length;
    if (n === 0) return;
    if (this.end_ + n > this.buf.length) {
      const live = this.buffered;
      if (live + n <= this.buf.length && this.start >= live) {
        this.buf.copy(this.buf, 0, this.start, this.end_);
      } else {
        let size = Math.max(1024, this.buf.length);
        while (size < live + n) size *= 2;
        const next = Buffer.allocUnsafe(size);
        this.buf.copy(next, 0, this.start, this.end_);
        this.buf = next;
      }
      this.start = 0;
      this.end_ = live;
    }
    this.buf.set(chunk, this.end_);
    this.end_ += n;
  }

  /** The next complete message, or undefined until more bytes arrive. */
  next(): ReconMessage | undefined {
    this.throwIfFailed();
    try {
      if (this.buffered < 4) return undefined;
      const length = this.buf.readUInt32BE(this.start);
      if (length === 0) throw new ReconProtocolError('frame-length', 'frame length 0 (no message type)');
      if (length > this.limits.maxFrameLength) {
        throw new ReconProtocolError('frame-length', `frame length ${length} exceeds the limit ${this.limits.maxFrameLength}`);
      }
      // Reject an unknown type as soon as its byte arrives, before buffering the payload.
      if (this.buffered >= 5) {
        const code = this.buf[this.start + 4];
        if (!NAME_BY_CODE.has(code)) throw unknownCode(code);
      }
      if (this.buffered < 4 + length) return undefined;
      // The frame is a view: decoding copies everything it keeps before the buffer is reused.
      const frame = this.take(4 + length).subarray(4);
      return decodeFrame(frame, this.limits);
    } catch (err) {
      if (err instanceof ReconProtocolError) this.failure = err;
      throw err;
    }
  }

  /** Every complete message buffered now. */
  *messages(): Generator<ReconMessage> {
    for (let msg = this.next(); msg !== undefined; msg = this.next()) yield msg;
  }

  /**
   * The peer's bare config status (docs/recon.md §4): "passed", or "failed" and a reason string; undefined
   * until all of it has arrived. Anything else throws ReconProtocolError 'status'.
   */
  nextStatus(): ConfigStatus | undefined {
    this.throwIfFailed();
    try {
      const b = this.buf;
      const s = this.start;
      if (this.buffered < 4) return undefined;
      const length = b.readUInt32BE(s);
      if (length !== 6) throw new ReconProtocolError('status', `config status of ${length} bytes; expected "passed" or "failed"`);
      if (this.buffered < 10) return undefined;
      const word = b.toString('latin1', s + 4, s + 10);
      if (word === 'passed') {
        this.take(10);
        return { passed: true };
      }
      if (word !== 'failed') throw new ReconProtocolError('status', `unexpected config status ${JSON.stringify(word)}`);
      if (this.buffered < 14) return undefined;
      const reasonLength = b.readUInt32BE(s + 10);
      if (reasonLength > this.limits.maxStringLength) {
        throw new ReconProtocolError('limit', `config failure reason of ${reasonLength} bytes exceeds the limit ${this.limits.maxStringLength}`);
      }
      if (this.buffered < 14 + reasonLength) return undefined;
      return { passed: false, reason: this.take(14 + reasonLength).toString('utf8', 14) };
    } catch (err) {
      if (err instanceof ReconProtocolError) this.failure = err;
      throw err;
    }
  }

  /** Call at end of stream: throws if a partial message is left. */
  end(): void {
    this.throwIfFailed();
    if (this.buffered > 0) {
      this.failure = new ReconProtocolError('truncated', `stream ended inside a message (${this.buffered} bytes pending)`);
      throw this.failure;
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Removes the next n buffered bytes and returns them as a view, valid until the next push. */
  private take(n: number): Buffer {
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    if (this.start === this.end_) this.start = this.end_ = 0;
    return out;
  }
}
