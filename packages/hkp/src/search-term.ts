/**
 * The `search` variable of /pks/lookup (docs/hkp.md §3): `0x` + 8/16/40/64 hex digits
 * (32-bit key ID, 64-bit key ID, v4 or v6 fingerprint; primary keys and subkeys), bare 16/40/64 hex
 * (what Hagrid and Hockeypuck accept), an e-mail address (exact, with or without `<>`), or words
 * that must all appear in one key's UIDs.
 */
import { HttpError } from './errors';

export type SearchTerm =
  | { kind: 'kid32' | 'kid64' | 'fpr'; value: Buffer }
  | { kind: 'email'; value: string }
  | { kind: 'words'; value: string[] };

/** longest search string we look at; gpg sends at most ~130 characters */
export const MAX_SEARCH_LENGTH = 512;
const MAX_WORDS = 8;

export function parseSearch(raw: string | undefined): SearchTerm {
  if (raw === undefined || raw.trim() === '') throw new HttpError(400, 'missing search: use search=0x<fingerprint>, an e-mail address or words');
  if (raw.length > MAX_SEARCH_LENGTH) throw new HttpError(400, `search is longer than ${MAX_SEARCH_LENGTH} characters`);
  const s = raw.trim();
  // Bounded above; each pattern is anchored and linear (docs/architecture.md §8).
  const hex = /^(0x)?([0-9a-fA-F\s]+)$/.exec(s);
  if (hex) {
    const digits = hex[2].replace(/\s+/g, '');
    const prefixed = hex[1] !== undefined;
    if (prefixed || digits.length >= 16) {
      switch (digits.length) {
        case 8:
          if (prefixed) return { kind: 'kid32', value: Buffer.from(digits, 'hex') };
          break;
        case 16:
          return { kind: 'kid64', value: Buffer.from(digits, 'hex') };
        case 40:
        case 64:
          return { kind: 'fpr', value: Buffer.from(digits, 'hex') };
        case 32:
          throw new HttpError(400, 'v3 (32-digit) fingerprints are not searchable; use the 16-digit key ID');
        default:
          if (prefixed) throw new HttpError(400, 'a 0x search takes 8, 16, 40 or 64 hex digits');
      }
    }
  }
  const email = /^<?([^\s<>@]+@[^\s<>@]+)>?$/.exec(s);
  if (email) return { kind: 'email', value: email[1].toLowerCase() };
  const words = [...new Set(s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 2))];
  if (words.length === 0) throw new HttpError(400, 'search has no word of two or more letters or digits');
  if (words.length > MAX_WORDS) throw new HttpError(400, `search has more than ${MAX_WORDS} words`);
  return { kind: 'words', value: words };
}
