/**
 * The lookups HKP v2 and VKS share with v1 (docs/hkp.md §3, §5): a parsed search term resolved
 * in the store (resolve.ts, as v1's find-keys.ts does) and each key's served bytes
 * (`env.present`, present.ts), so a key is byte for byte what v1 `op=get` serves, dearmored.
 */
import { KeyRecord } from '@dkeyserv/db';
import { resolveSearch } from '../resolve';
import { SearchTerm } from '../search-term';
import { RouteEnv } from './env';

export interface ServedKey {
  record: KeyRecord;
  /** the served bytes (binary) */
  bytes: Buffer;
}

/** Stored records for `term`, newest first (422 past `maxResults`, as in v1). */
export function lookupRecords(env: RouteEnv, term: SearchTerm): KeyRecord[] {
  return resolveSearch(env.store, term, { maxResults: env.options.maxResults });
}

/** The served version and bytes of each record of which anything may be served. */
export function servedKeys(env: RouteEnv, records: readonly KeyRecord[]): ServedKey[] {
  const out: ServedKey[] = [];
  for (const r of records) {
    const record = env.served(r);
    const bytes = env.present(r);
    if (record && bytes) out.push({ record, bytes });
  }
  return out;
}

/** Upper-case hex of a record's fingerprint. */
export function fprHex(record: KeyRecord): string {
  return Buffer.from(record.fpr).toString('hex').toUpperCase();
}
