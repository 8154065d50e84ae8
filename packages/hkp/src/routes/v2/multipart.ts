/**
 * The `keytext` part of a `multipart/form-data` submission (docs/hkp.md §12, draft §5.2.5; RFC
 * 7578): the boundary from the content type, at most MAX_PARTS parts looked at, the part whose
 * `Content-Disposition` names `keytext`. Anything else is a 422 one-liner (not well formed).
 */
import { HttpError } from '../../errors';

const MAX_PARTS = 16;
const MAX_HEADER_BYTES = 4096;

function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  if (!m) throw new HttpError(422, 'multipart/form-data without a boundary');
  return m[1] ?? m[2];
}

/** The content of the `keytext` part. */
export function keytextPart(contentType: string, body: Buffer): Buffer {
  const delimiter = Buffer.from(`--${boundaryOf(contentType)}`, 'latin1');
  let at = body.indexOf(delimiter);
  for (let parts = 0; at >= 0 && parts < MAX_PARTS; parts++) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // the closing delimiter
    const headersEnd = body.indexOf('\r\n\r\n', start);
    if (headersEnd < 0 || headersEnd - start > MAX_HEADER_BYTES) break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd);
    if (next < 0) break;
    const headers = body.subarray(start, headersEnd).toString('latin1');
    if (/^content-disposition:\s*form-data;[^\r\n]*\bname="?keytext"?(;|\s|$)/im.test(headers)) return body.subarray(headersEnd + 4, next);
    at = next + 2;
  }
  throw new HttpError(422, 'multipart/form-data has no part named keytext');
}
