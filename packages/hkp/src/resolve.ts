/**
 * Resolving a parsed search to stored keys: key IDs and fingerprints of primary keys and
 * subkeys, exact e-mail addresses, or every word in one key's UIDs (the smallest posting list,
 * each of its keys probed in the others). Results are newest first, like SKS.
 *
 * The index is read only until `maxResults + 1` distinct keys are found, and no record is read
 * before the count is known to be within the limit (docs/hkp.md §3): a common word costs
 * `maxResults + 1` index entries, not one record per match.
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { HttpError } from './errors';
import { SearchTerm } from './search-term';

export interface ResolveLimits {
  /** most keys one lookup may return */
  maxResults: number;
}

/** The store reads a search makes (KeyStore's). */
export type SearchableStore = Pick<KeyStore, 'filedUnder' | 'termCount' | 'isFiledUnder' | 'get'>;

/** Thrown when more than `maxResults` keys match: a 422. */
export class TooManyMatches extends HttpError {
  constructor(maxResults: number) {
    super(422, `more than ${maxResults} keys match: search more precisely`);
  }
}

export function resolveSearch(store: SearchableStore, q: SearchTerm, limits: ResolveLimits): KeyRecord[] {
  const fprs: Buffer[] = [];
  for (const f of matches(store, q)) {
    if (fprs.length === limits.maxResults) throw new TooManyMatches(limits.maxResults);
    fprs.push(f);
  }
  const records: KeyRecord[] = [];
  for (const f of fprs) {
    const r = store.get(f);
    if (r) records.push(r);
  }
  return records.sort((a, b) => b.created - a.created);
}

/** The primary fingerprints a search matches, each once, read from the index as consumed. */
function* matches(store: SearchableStore, q: SearchTerm): Generator<Buffer> {
  switch (q.kind) {
    case 'kid32':
    case 'kid64':
    case 'fpr':
      return yield* store.filedUnder(q.kind, q.value);
    case 'email':
      return yield* store.filedUnder('email', Buffer.from(q.value, 'utf8'));
    case 'words': {
      const words = [...new Set(q.value)].map((w) => Buffer.from(w, 'utf8'));
      if (words.length === 1) return yield* store.filedUnder('word', words[0]);
      const counted = words.map((w) => ({ w, n: store.termCount('word', w) })).sort((a, b) => a.n - b.n);
      const [first, ...rest] = counted.map((c) => c.w);
      for (const f of store.filedUnder('word', first)) if (rest.every((w) => store.isFiledUnder('word', w, f))) yield f;
    }
  }
}
