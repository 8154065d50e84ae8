/**
 * The HKP v2 categories this server offers (docs/hkp.md §12): the lookup categories (`GET`,
 * `HEAD`) and the one submission category, `certs` (`POST`). OPTIONS discovery (discovery.ts)
 * and the answers for everything else (fallback.ts) are derived from this list; whatever is not in
 * it (`canonical`, `sendtoken`, unknown names) is 501.
 */

export interface Category {
  /** path after `/pks/v2/`, one or two segments */
  name: string;
  /** the methods of the `Allow` header */
  allow: string;
  /** submission media types taken, one `Accept` header each (submission categories only) */
  accept?: readonly string[];
}

/** What `POST /pks/v2/certs` takes (submit.ts): the binary bundle types and a `keytext` form. */
export const SUBMISSION_TYPES = ['application/pgp-keys', 'application/pgp', 'multipart/form-data'] as const;

const LOOKUP = 'GET, HEAD, OPTIONS';

export const CATEGORIES: readonly Category[] = [
  { name: 'certs/by-vfingerprint', allow: LOOKUP },
  { name: 'certs/by-keyid', allow: LOOKUP },
  { name: 'certs/by-identity', allow: LOOKUP },
  { name: 'index', allow: LOOKUP },
  { name: 'prefixlog', allow: LOOKUP },
  { name: 'certs', allow: 'POST, OPTIONS', accept: SUBMISSION_TYPES },
];

/**
 * The offered category a path (after `/pks/v2/`) names: a lookup category with or without an
 * identifier, a submission category exactly (`certs/by-fingerprint` is no category of ours).
 */
export function categoryOf(rest: string): { category: Category; identifier: string } | undefined {
  const category = CATEGORIES.find((c) => rest === c.name || (!c.accept && rest.startsWith(c.name + '/')));
  return category && { category, identifier: rest.slice(category.name.length + 1) };
}
