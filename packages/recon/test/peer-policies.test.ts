import { RECON_POLICIES } from '@dkeyserv/pgp';
import { configMessage } from '../src/index';
import { peerSoftware } from '../src/peer/software';
import { Unobtainable } from '../src/peer/unobtainable';

describe('what a peer runs, from its Config (peer/software.ts)', () => {
  const base = { version: '1.1.6', httpPort: 11371, bitQuantum: 2, mbar: 5 };
  /** SKS sends its entries in alphabetical order (docs/recon.md §4) */
  const sksOrder = (filters: string) => {
    const m = configMessage({ ...base, filters });
    return { ...m, entries: [...m.entries].sort((a, b) => (a[0] < b[0] ? -1 : 1)) };
  };

  test('SKS, the Hockeypuck generations and dkeyserv are told apart', () => {
    expect(peerSoftware(sksOrder('yminsky.dedup,yminsky.merge'))).toEqual({ software: 'SKS', policy: 'sks', filters: 'yminsky.dedup,yminsky.merge' });
    expect(peerSoftware(configMessage({ ...base, filters: 'yminsky.dedup,yminsky.merge' })).software).toBe('Hockeypuck ≤ 2.1');
    expect(peerSoftware(configMessage({ ...base, filters: RECON_POLICIES.hockeypuck.filters }))).toMatchObject({ software: 'Hockeypuck 2.2–2.3', policy: 'hockeypuck' });
    expect(peerSoftware(configMessage({ ...base, filters: RECON_POLICIES['hockeypuck-2.4'].filters }))).toMatchObject({ software: 'Hockeypuck 2.4', policy: 'hockeypuck-2.4' });
    expect(peerSoftware(configMessage({ ...base, filters: 'x', custom: [['dkeyserv', '0.1.0']] }))).toEqual({ software: 'dkeyserv 0.1.0', policy: undefined, filters: 'x' });
  });
});

describe('Unobtainable: elements that did not join our set are not fetched again for a while', () => {
  test('remembered per peer after a fetch, forgotten after the TTL, bounded per peer', () => {
    let now = 1000;
    const u = new Unobtainable(60_000, 3, () => now);
    const e = [1, 2, 3, 4, 5].map((i) => Buffer.alloc(16, i));
    expect(u.wanted('a', e)).toHaveLength(5);
    // 1 and 2 joined our set; 3, 4, 5 did not
    expect(u.settle('a', e, (x) => x[0] <= 2)).toBe(3);
    expect(u.wanted('a', e).map((x) => x[0])).toEqual([1, 2]);
    expect(u.wanted('b', e)).toHaveLength(5);
    now += 60_001;
    expect(u.wanted('a', e)).toHaveLength(5);
    // at most 3 per peer: the oldest is forgotten
    u.settle('a', e, () => false);
    expect(u.wanted('a', e).map((x) => x[0])).toEqual([1, 2]);
  });
});
