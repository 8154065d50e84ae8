/**
 * A recon TCP connection: outgoing messages are buffered until `flush()` (the protocol's own
 * Flush discipline, docs/recon.md §6), incoming bytes go through the bounded MessageReader,
 * and every read has a deadline. A closed or silent peer rejects the pending read with a reason.
 */
import type { Socket } from 'node:net';
import { ConfigStatus } from '../messages/config';
import { encodeMessage, MessageReader, ReconMessage } from '../messages/codec';
import { ReconLimits } from '../messages/wire';
import { ReconSessionError } from '../errors';

/** A read that missed its deadline: the peer went silent (a ReconSessionError like any other). */
export class ReconDeadlineError extends ReconSessionError {}

export class ReconConnection {
  private readonly reader: MessageReader;
  private readonly out: Buffer[] = [];
  private waiter?: () => void;
  private ended?: string;
  /** bytes received so far: none means the peer refused before its Config (busy, docs/recon.md §12, §13) */
  private received = 0;

  constructor(
    readonly socket: Socket,
    limits: Partial<ReconLimits> = {},
  ) {
    this.reader = new MessageReader(limits);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      try {
        this.reader.push(chunk);
      } catch (e) {
        this.ended = (e as Error).message;
        socket.destroy();
      }
      this.waiter?.();
    });
    const end = (why: string) => {
      this.ended ??= why;
      this.waiter?.();
    };
    socket.on('end', () => end('peer closed the connection'));
    socket.on('close', () => end('connection closed'));
    socket.on('error', (e) => end(`connection error: ${e.message}`));
  }

  /** The peer's address (for recovery and logs). */
  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  /** Queue a message; it leaves on the next flush(). */
  write(msg: ReconMessage): void {
    this.out.push(encodeMessage(msg));
  }

  /** Queue raw bytes (the bare config status strings). */
  writeRaw(bytes: Buffer): void {
    this.out.push(bytes);
  }

  flush(): void {
    if (this.out.length === 0 || this.socket.destroyed) return;
    this.socket.write(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out));
    this.out.length = 0;
  }

  /** A complete message already received, without waiting (the requester's non-blocking probe). */
  poll(): ReconMessage | undefined {
    return this.reader.next();
  }

  /** The next message; rejects on a protocol error, a closed connection or after `timeoutMs`. */
  readMessage(timeoutMs: number): Promise<ReconMessage> {
    return this.waitFor(() => this.reader.next(), timeoutMs, 'message');
  }

  /** The peer's bare config status string (docs/recon.md §4). */
  readStatus(timeoutMs: number): Promise<ConfigStatus> {
    return this.waitFor(() => this.reader.nextStatus(), timeoutMs, 'config status');
  }

  private waitFor<T>(take: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = (): boolean => {
        try {
          const v = take();
          if (v !== undefined) {
            resolve(v);
            return true;
          }
        } catch (e) {
          reject(e);
          return true;
        }
        if (this.ended) {
          reject(new ReconSessionError(this.received === 0 ? `the peer closed the connection before sending anything (busy, or we are not its partner)` : `${this.ended} while waiting for the peer's ${what}`));
          return true;
        }
        return false;
      };
      if (attempt()) return;
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new ReconDeadlineError(`the peer sent no ${what} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiter = () => {
        if (attempt()) {
          clearTimeout(timer);
          this.waiter = undefined;
        }
      };
    });
  }

  close(): void {
    this.flush();
    this.socket.end();
    this.socket.destroySoon?.();
  }
}
