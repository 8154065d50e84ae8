/**
 * Searches that match too many keys (docs/hkp.md §3, §10): over a real LMDB store where 3,000
 * keys share the word "example", resolving reads at most `maxResults + 1` index entries and no
 * record before answering 422, and the 422 is cached until the store changes, on the cheap path
 * (`options=mr`) and the HTML results page alike.
 */
import { KeyStore } from '@dkeyserv/db';
import { Packet } from '@dkeyserv/pgp';
import { resolveSearch, SearchableStore, TooManyMatches } from '../src/resolve';
import { parseSearch } from '../src/search-term';
import { signature, signingKey, userId } from '../../pgp/test/helpers/ed25519-keys';
import { startTestApp, TestApp } from './helpers/test-app';

const COMMON = 3000;
const MAX_RESULTS = 10;

/** A v4 Ed25519 key with one self-certified UID (so its words are indexed). */
function keyWithUid(uid: string): Packet[] {
  const k = signingKey(4);
  const u = userId(uid);
  return [k.packet, u, signature(k, k.packet, u, { type: 0x13, keyFlags: 0x03 })];
}

/** The store's search reads, counted: fingerprints yielded by the index and records read. */
function counting(store: KeyStore) {
  const counts = { yielded: 0, records: 0 };
  const spy: SearchableStore = {
    *filedUnder(index, term) {
      for (const f of store.filedUnder(index, term)) {
        counts.yielded++;
        yield f;
      }
    },
    termCount: (index, term) => store.termCount(index, term),
    isFiledUnder: (index, term, fpr) => store.isFiledUnder(index, term, fpr),
    get: (fpr) => {
      counts.records++;
      return store.get(fpr);
    },
  };
  return { spy, counts };
}

describe('searches stop at maxResults + 1 matches', () => {
  let t: TestApp;
  let store: KeyStore;
  let zebra: string;

  beforeAll(async () => {
    t = await startTestApp('search-limit', { maxResults: MAX_RESULTS }, (s) => {
      const keys = Array.from({ length: COMMON }, (_, i) => keyWithUid(`Example Person ${i} <person${i}@example.org>`));
      keys.push(keyWithUid('Rare Zebra <zebra@example.org>'));
      const results = s.ingestMany(keys);
      expect(results.filter((r) => r.status !== 'new')).toEqual([]);
      zebra = results[COMMON].fpr!;
    });
    store = t.store;
  }, 300_000);
  afterAll(() => t?.stop());

  test(`a word ${COMMON} keys share: 422 after maxResults + 1 index entries, no record read`, () => {
    expect(store.termCount('word', Buffer.from('example'))).toBe(COMMON + 1);
    const { spy, counts } = counting(store);
    expect(() => resolveSearch(spy, parseSearch('example'), { maxResults: MAX_RESULTS })).toThrow(TooManyMatches);
    expect(counts.yielded).toBeLessThanOrEqual(MAX_RESULTS + 1);
    expect(counts.records).toBe(0);
  });

  test('several words: only the smallest posting list is read, then the matches', () => {
    const { spy, counts } = counting(store);
    const found = resolveSearch(spy, parseSearch('example zebra'), { maxResults: MAX_RESULTS });
    expect(found.map((r) => Buffer.from(r.fpr).toString('hex'))).toEqual([zebra]);
    expect(counts.yielded).toBe(1); // "zebra": one key, probed in "example"
    expect(counts.records).toBe(1);
    // the probe must say no too: zebra's key has no "person"
    expect(resolveSearch(store, parseSearch('zebra person'), { maxResults: MAX_RESULTS })).toEqual([]);
    // a common pair is still cut at maxResults + 1
    const pair = counting(store);
    expect(() => resolveSearch(pair.spy, parseSearch('example person'), { maxResults: MAX_RESULTS })).toThrow(TooManyMatches);
    expect(pair.counts.yielded).toBeLessThanOrEqual(MAX_RESULTS + 1);
    expect(pair.counts.records).toBe(0);
  });

  test('within the limit every match is found and read once', () => {
    const { spy, counts } = counting(store);
    const found = resolveSearch(spy, parseSearch('person7'), { maxResults: MAX_RESULTS });
    expect(found).toHaveLength(1);
    expect(counts.records).toBe(1);
  });

  test('the 422 is cached for every path until the store changes', async () => {
    const filedUnder = jest.spyOn(store, 'filedUnder');
    try {
      for (const path of ['/pks/lookup?op=index&options=mr&search=example', '/pks/lookup?op=index&search=example', '/pks/lookup?op=get&search=Example']) {
        const r = await fetch(t.base + path);
        expect(r.status).toBe(422);
        expect(await r.text()).toContain(`more than ${MAX_RESULTS} keys match`);
      }
      // the first asked the index; the page and `op=get` (another spelling) were answered from the cache
      expect(filedUnder).toHaveBeenCalledTimes(1);
      // a write anywhere makes the cached 422 stale: the next search reads the index again
      store.ingest(keyWithUid('Unrelated Writer <writer@example.net>'));
      const r = await fetch(t.base + '/pks/lookup?op=index&options=mr&search=example');
      expect(r.status).toBe(422);
      expect(filedUnder).toHaveBeenCalledTimes(2);
    } finally {
      filedUnder.mockRestore();
    }
  });
});
