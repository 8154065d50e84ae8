/**
 * Strict parsing of a query string: `+` is a space, `%XX` must be valid hex, the decoded bytes
 * must be UTF-8 (a request with bad percent-encoding gets a 400 instead of a guess). Bounded:
 * at most 32 parameters; the HTTP server already bounds the whole request line.
 */
import { HttpError } from './errors';

const MAX_PARAMS = 32;

export function parseQuery(qs: string): Map<string, string> {
  const out = new Map<string, string>();
  if (qs === '') return out;
  const parts = qs.split('&');
  if (parts.length > MAX_PARAMS) throw new HttpError(400, `more than ${MAX_PARAMS} query parameters`);
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(400, 'bad percent-encoding in the query string');
  }
}

/** `options=mr,nm` → set of lower-cased options. */
export function parseOptions(value: string | undefined): Set<string> {
  return new Set((value ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
}

/** `on`/`true`/`1` (any case) is true. */
export function isOn(value: string | undefined): boolean {
  return value !== undefined && /^(on|true|1|yes)$/i.test(value);
}
