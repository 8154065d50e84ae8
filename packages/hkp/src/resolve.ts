/**
 * Resolving a parsed search to stored keys: key IDs and fingerprints of primary keys and
 * subkeys, exact e-mail addresses, or every word in one key's UIDs (an intersection, smallest
 * posting list first). Results are newest first, like SKS.
 */
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { HttpError } from './errors';
import { SearchTerm } from './search-term';

export interface ResolveLimits {
  /** most keys one lookup may return */
  maxResults: number;
}

export function resolveSearch(store: KeyStore, q: SearchTerm, limits: ResolveLimits): KeyRecord[] {
  let fprs: Buffer[];
  switch (q.kind) {
    case 'kid32':
    case 'kid64':
    case 'fpr':
      fprs = store.lookup(q.kind, q.value);
      break;
    case 'email':
      fprs = store.lookup('email', Buffer.from(q.value, 'utf8'));
      break;
    case 'words': {
      const lists = q.value.map((w) => store.lookup('word', Buffer.from(w, 'utf8'))).sort((a, b) => a.length - b.length);
      const [first, ...rest] = lists;
      const sets = rest.map((l) => new Set(l.map((b) => b.toString('hex'))));
      fprs = first.filter((f) => sets.every((s) => s.has(f.toString('hex'))));
      break;
    }
  }
  const seen = new Set<string>();
  const records: KeyRecord[] = [];
  for (const f of fprs) {
    const k = f.toString('hex');
    if (seen.has(k)) continue;
    seen.add(k);
    const r = store.get(f);
    if (r) records.push(r);
  }
  if (records.length > limits.maxResults) {
    throw new HttpError(422, `${records.length} keys match; the limit is ${limits.maxResults}: search more precisely`);
  }
  return records.sort((a, b) => b.created - a.created);
}
