/**
 * Reading a request body with a hard size limit and a time limit (docs/hkp.md §10; the principle:
 * docs/architecture.md §8): a body over the limit is refused with 413 as soon as the limit is
 * passed, a client that stops sending gets 408; both close the connection (lingering, see
 * server.ts, so the client can read the answer).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors';

/** A body we stop reading ends the connection: the rest of it is not the next request. */
const CLOSE = { Connection: 'close' };

export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new HttpError(413, `request body of ${declared} bytes is over the limit of ${maxBytes}`, CLOSE));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) {
        req.resume(); // drain and discard the rest
        reject(err);
      } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) return finish(new HttpError(413, `request body is over the limit of ${maxBytes} bytes`, CLOSE));
      chunks.push(c);
    };
    const onEnd = () => finish();
    const onError = (e: Error) => finish(new HttpError(400, `request body could not be read: ${e.message}`));
    const timer = setTimeout(() => finish(new HttpError(408, `request body not received within ${timeoutMs / 1000} s`, CLOSE)), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
