/**
 * `GET /pks/v2/prefixlog/<YYYY-MM-DD>` (docs/hkp.md §12, draft §5.1.6, a MAY): the first 8 hex
 * digits of the fingerprint of every key stored or changed on that UTC day, from the store's
 * change log, once each, CRLF after each (Hockeypuck's format), `text/plain`. The log's times
 * only grow with its sequence numbers, so the day's first entry is found by bisection; at most
 * MAX_PREFIXES lines. A date that is not one is 400; a day without changes is an empty 200.
 */
import { KeyStore } from '@dkeyserv/db';
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';

export const MAX_PREFIXES = 10_000;
const DAY_MS = 86_400_000;

/** The first log position (a `since` for `store.changes`) whose next entry is at or after `time`. */
function firstSince(store: KeyStore, time: number): number {
  let lo = 0;
  let hi = store.changeSeq();
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const next = store.changes(mid).next();
    if (next.done || next.value[1].time >= time) hi = mid;
    else lo = next.value[0];
  }
  return lo;
}

/** The distinct 8-digit fingerprint prefixes of keys changed in [start, start + 1 day). */
export function prefixesOfDay(store: KeyStore, start: number, max = MAX_PREFIXES): string[] {
  const prefixes = new Set<string>();
  for (const [, e] of store.changes(firstSince(store, start))) {
    if (e.time >= start + DAY_MS || prefixes.size >= max) break;
    if (e.time >= start) prefixes.add(Buffer.from(e.fpr).subarray(0, 4).toString('hex'));
  }
  return [...prefixes];
}

export const prefixLog: PathHandler = (ctx, env, [date]) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const start = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || new Date(start).toISOString().slice(0, 10) !== date) throw new HttpError(400, 'not a date: use /pks/v2/prefixlog/YYYY-MM-DD');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = prefixesOfDay(env.store, start).map((p) => p + '\r\n').join('');
};
