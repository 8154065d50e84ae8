/**
 * The query string of `/pks/lookup` (docs/hkp.md §2), decoded strictly (urlencoded.ts) into the
 * variables the operations use: `op` (default `index`, lower-cased), `options` (a comma list, of
 * which `mr` and, for stats, `json` are used), `search` and `exact`. Other variables, such as
 * `fingerprint=on`, are ignored.
 */
import { parseUrlEncoded } from './urlencoded';

export interface LookupQuery {
  /** lower-cased; `index` when absent */
  op: string;
  /** `options=mr,nm` → {mr, nm}, lower-cased */
  options: Set<string>;
  /** `options` has `mr`: a machine-readable answer, never HTML */
  mr: boolean;
  /** the raw `search` variable (parsed by search-term.ts where an op needs it) */
  search: string | undefined;
  /** `exact=on` */
  exact: boolean;
}

export function parseLookupQuery(qs: string): LookupQuery {
  const q = parseUrlEncoded(qs);
  const options = parseOptions(q.get('options'));
  return { op: (q.get('op') ?? 'index').toLowerCase(), options, mr: options.has('mr'), search: q.get('search'), exact: isOn(q.get('exact')) };
}

/** `options=mr,nm` → set of lower-cased options. */
export function parseOptions(value: string | undefined): Set<string> {
  return new Set((value ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean));
}

/** `on`/`true`/`1`/`yes` (any case) is true. */
export function isOn(value: string | undefined): boolean {
  return value !== undefined && /^(on|true|1|yes)$/i.test(value);
}
