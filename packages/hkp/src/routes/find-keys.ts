/**
 * The keys a lookup's `search` finds (docs/hkp.md §3): parsed (search-term.ts), resolved in the
 * store (resolve.ts), and for indexes the served views of what may be shown. A search that
 * matches too many keys is remembered in the response cache until the store changes
 * (docs/hkp.md §10), so asking again costs no index reads, whatever the op or page.
 */
import { KeyRecord } from '@dkeyserv/db';
import { HttpError } from '../errors';
import { keyView, KeyView } from '../model';
import { resolveSearch, TooManyMatches } from '../resolve';
import { parseSearch, SearchTerm } from '../search-term';
import { RouteEnv } from './env';
import { storeSeq } from './respond';

/** Stored records matching `search`, newest first; `exact` with words finds nothing (404), too many is 422. */
export function findRecords(env: RouteEnv, search: string | undefined, exact: boolean): KeyRecord[] {
  const term = parseSearch(search);
  if (exact && term.kind === 'words') throw new HttpError(404, `no key with exactly the UID ${JSON.stringify(search)}`);
  const key = tooManyKey(term);
  const seq = storeSeq(env);
  const known = env.cache.get(key, seq);
  if (known) throw new HttpError(422, known.body.toString('utf8'));
  try {
    return resolveSearch(env.store, term, { maxResults: env.options.maxResults });
  } catch (e) {
    if (e instanceof TooManyMatches) env.cache.set(key, seq, { type: 'text/plain; charset=utf-8', headers: {}, body: Buffer.from(e.message, 'utf8') });
    throw e;
  }
}

/** The cache key of a search's 422: by the parsed term, so every spelling of one search shares it. */
function tooManyKey(term: SearchTerm): string {
  const value = term.kind === 'words' ? term.value.join(' ') : typeof term.value === 'string' ? term.value : term.value.toString('hex');
  return `422|${term.kind}|${value}`;
}

/** The views of the served versions of the matching keys that may be shown; none is 404. */
export function servableViews(env: RouteEnv, search: string | undefined, exact: boolean): KeyView[] {
  const views = findRecords(env, search, exact)
    .map(env.served)
    .filter((r): r is KeyRecord => r !== undefined)
    .map((r) => keyView(env.store, r))
    .filter((v) => v.servable);
  if (views.length === 0) throw new HttpError(404, `no key found for ${JSON.stringify(search)}`);
  return views;
}
