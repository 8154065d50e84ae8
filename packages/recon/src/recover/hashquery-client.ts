/**
 * The hashquery client (docs/recon.md §10): `POST /pks/hashquery` to the peer's IP and the
 * `http port` of its Config, body `int count; count × (int 16; hash)`, answer
 * `int count; count × (int len; key bytes)` then CRLF (ignored, as SKS does). Every length is
 * bounded and every request has a deadline; a hostile peer cannot make us buffer more than
 * `maxResponseBytes`.
 */
import { request } from 'node:http';
import { HashQueryError } from '../errors';

export interface HashQueryOptions {
  /** the peer's endpoint: `/pks/hashquery`, or another set's (dkeyserv's `/pks/x-attestations`) */
  path?: string;
  timeoutMs: number;
  /** largest response body accepted */
  maxResponseBytes: number;
  /** largest single key in a response */
  maxKeyBytes: number;
}

export const DEFAULT_HASHQUERY_OPTIONS: HashQueryOptions = { timeoutMs: 30_000, maxResponseBytes: 256 * 1024 * 1024, maxKeyBytes: 16 * 1024 * 1024 };

export function encodeHashQuery(hashes: readonly Buffer[]): Buffer {
  const body = Buffer.alloc(4 + hashes.length * 20);
  body.writeUInt32BE(hashes.length, 0);
  hashes.forEach((h, i) => {
    body.writeUInt32BE(16, 4 + i * 20);
    h.copy(body, 8 + i * 20, 0, 16);
  });
  return body;
}

export function decodeHashQueryResponse(body: Buffer, maxKeyBytes: number, maxKeys: number): Buffer[] {
  if (body.length < 4) throw new HashQueryError('hashquery response shorter than its count');
  const count = body.readUInt32BE(0);
  if (count > maxKeys) throw new HashQueryError(`hashquery response claims ${count} keys for ${maxKeys} hashes asked`);
  const keys: Buffer[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.length) throw new HashQueryError(`hashquery response truncated at key ${i}`);
    const len = body.readUInt32BE(at);
    if (len > maxKeyBytes) throw new HashQueryError(`hashquery response key ${i} has ${len} bytes, over the limit`);
    if (at + 4 + len > body.length) throw new HashQueryError(`hashquery response truncated in key ${i}`);
    keys.push(body.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return keys;
}

/** Ask `host:port` for the keys with these SKS hashes; resolves with the key bytes returned. */
export function hashQuery(host: string, port: number, hashes: readonly Buffer[], opts: HashQueryOptions = DEFAULT_HASHQUERY_OPTIONS): Promise<Buffer[]> {
  const body = encodeHashQuery(hashes);
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, method: 'POST', path: opts.path ?? '/pks/hashquery', headers: { 'Content-Type': 'sks/hashquery', 'Content-Length': body.length }, timeout: opts.timeoutMs },
      (res) => {
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode > 299) {
          res.resume();
          reject(new HashQueryError(`${opts.path ?? '/pks/hashquery'} on ${host}:${port} answered HTTP ${res.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > opts.maxResponseBytes) {
            req.destroy(new HashQueryError(`hashquery response from ${host}:${port} exceeds ${opts.maxResponseBytes} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          try {
            resolve(decodeHashQueryResponse(Buffer.concat(chunks, size), opts.maxKeyBytes, hashes.length));
          } catch (e) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new HashQueryError(`hashquery to ${host}:${port} timed out after ${opts.timeoutMs} ms`)));
    req.on('error', (e) => reject(e instanceof HashQueryError ? e : new HashQueryError(`hashquery to ${host}:${port} failed: ${e.message}`)));
    req.end(body);
  });
}
