/**
 * The keys a lookup's `search` finds (docs/hkp.md §3): parsed (search-term.ts), resolved in the
 * store (resolve.ts), and for indexes the served views of what may be shown.
 */
import { KeyRecord } from '@dkeyserv/db';
import { HttpError } from '../errors';
import { keyView, KeyView } from '../model';
import { resolveSearch } from '../resolve';
import { parseSearch } from '../search-term';
import { RouteEnv } from './env';

/** Stored records matching `search`, newest first; `exact` with words finds nothing (404). */
export function findRecords(env: RouteEnv, search: string | undefined, exact: boolean): KeyRecord[] {
  const term = parseSearch(search);
  if (exact && term.kind === 'words') throw new HttpError(404, `no key with exactly the UID ${JSON.stringify(search)}`);
  return resolveSearch(env.store, term, { maxResults: env.options.maxResults });
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
