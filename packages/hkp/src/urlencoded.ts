/**
 * Strict decoding of `application/x-www-form-urlencoded` text: /pks/lookup's query string and
 * /pks/add's `keytext` form. `+` is a space, `%XX` must be valid hex, the decoded bytes must be
 * UTF-8 (bad percent-encoding gets a 400 instead of a guess); a repeated name keeps its first
 * value. Bounded: at most 32 parameters, counted before anything is split or decoded; the HTTP
 * server already bounds the whole request line. Linear: '&' is found with indexOf and decoding is
 * decodeURIComponent (docs/architecture.md §8).
 */
import { HttpError } from './errors';

const MAX_PARAMS = 32;

export function parseUrlEncoded(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  if (qs === '') return out;
  const parts = splitParams(qs);
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/** qs split at '&' (empty parts included), refused past MAX_PARAMS parts without splitting further. */
function splitParams(qs: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    if (parts.length === MAX_PARAMS) throw new HttpError(400, `more than ${MAX_PARAMS} query parameters`);
    const amp = qs.indexOf('&', start);
    if (amp < 0) break;
    parts.push(qs.slice(start, amp));
    start = amp + 1;
  }
  parts.push(qs.slice(start));
  return parts;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(400, 'bad percent-encoding in the query string');
  }
}
