/**
 * `POST /pks/hashquery` (docs/hkp.md §7): body `int count; count × (int 16; 16-byte MD5)`,
 * big-endian; answer `int count; count × (int len; key bytes)` then CRLF, Content-type `pgp/keys`
 * (the bogus type SKS uses). Only found keys are included; hashes are de-duplicated.
 */
import { HttpError } from './errors';

/** most hashes one request may ask for (SKS and Hockeypuck ask for at most 100 at a time) */
export const MAX_HASHQUERY_COUNT = 10_000;

export function parseHashQuery(body: Buffer, maxCount = MAX_HASHQUERY_COUNT): Buffer[] {
  if (body.length < 4) throw new HttpError(400, 'hashquery body is shorter than its 4-byte count');
  const count = body.readUInt32BE(0);
  if (count > maxCount) throw new HttpError(400, `hashquery asks for ${count} hashes, more than the limit of ${maxCount}`);
  if (body.length !== 4 + count * 20) {
    throw new HttpError(400, `hashquery body has ${body.length} bytes; a count of ${count} needs ${4 + count * 20}`);
  }
  const seen = new Set<string>();
  const out: Buffer[] = [];
  for (let i = 0, at = 4; i < count; i++, at += 20) {
    const len = body.readUInt32BE(at);
    if (len !== 16) throw new HttpError(400, `hashquery entry ${i} has length ${len}, not 16`);
    const h = body.subarray(at + 4, at + 20);
    const k = h.toString('hex');
    if (!seen.has(k)) {
      seen.add(k);
      out.push(h);
    }
  }
  return out;
}

export function encodeHashQueryResponse(keys: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(4);
  n.writeUInt32BE(keys.length);
  parts.push(n);
  for (const k of keys) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(k.length);
    parts.push(len, k);
  }
  parts.push(Buffer.from('\r\n'));
  return Buffer.concat(parts);
}
