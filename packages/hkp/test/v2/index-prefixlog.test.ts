/**
 * `GET /pks/v2/index/<identity>` and `GET /pks/v2/prefixlog/<date>` (docs/hkp.md §12): the JSON
 * certificate objects (version, lower-case fingerprint, uidString, RFC 3339 times, subkeys) of the
 * exact matches; the fingerprint prefixes of one UTC day from the change log, over a store whose
 * clock the test sets; 404 / 400 / empty answers, with CORS.
 */
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { isKeyringError, splitKeyring, splitPackets } from '@dkeyserv/pgp';
import { ApiServer, ROLE_KEYRING, startApiServer } from '../helpers/api-server';

const SECURITY = '0D59D2B15144766A14D241C66BAF400B05C3E651';

describe('HKP v2 index', () => {
  let s: ApiServer;
  beforeAll(async () => {
    s = await startApiServer('dks-v2-index-');
  });
  afterAll(() => s.close());

  test('the certificate objects of the exact matches, application/json, CORS', async () => {
    const r = await fetch(`${s.base}/pks/v2/index/security@debian.org`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    const certs = await r.json();
    expect(certs).toHaveLength(1);
    const [c] = certs;
    expect(c.version).toBe(4);
    expect(c.fingerprint).toBe(SECURITY.toLowerCase());
    expect(c.algorithm).toEqual({ code: 1, name: 'RSA', bitLength: 4096 });
    expect(c.creation).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(c.userIDs.map((u: { uidString: string }) => u.uidString)).toEqual(['Debian Security Team <security@debian.org>', 'Debian Security Team <team@security.debian.org>']);
    expect(c.subkeys.length).toBeGreaterThan(0);
    for (const sk of c.subkeys) {
      expect(sk.version).toBe(4);
      expect(sk.fingerprint).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  test('several keys for one address; partial identities and misses are 404', async () => {
    const certs = await (await fetch(`${s.base}/pks/v2/index/DEBIAN-CD@lists.debian.org`)).json();
    expect(certs).toHaveLength(3);
    for (const id of ['debian-cd', 'lists.debian.org', 'nobody@example.invalid']) {
      const r = await fetch(`${s.base}/pks/v2/index/${id}`);
      expect([id, r.status]).toEqual([id, 404]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
    }
  });
});

describe('HKP v2 prefix log', () => {
  const DAY = Date.UTC(2026, 5, 5);
  let s: ApiServer;
  let clock = DAY - 3_600_000; // the role keys are stored the day before
  const ingested: Record<string, string[]> = { before: [], day: [], after: [] };

  beforeAll(async () => {
    s = await startApiServer('dks-v2-prefixlog-', {
      now: () => clock,
      fill: async (store) => {
        for (const e of splitKeyring(readFileSync(ROLE_KEYRING))) {
          if (isKeyringError(e)) throw e.error;
          ingested.before.push(store.ingest(e.packets).fpr!.slice(0, 8));
        }
        for (const [when, at] of [['day', DAY + 10], ['day', DAY + 86_399_000], ['after', DAY + 86_400_000]] as const) {
          clock = at;
          const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: when, email: `${when}${at}@example.org` }], format: 'binary' });
          ingested[when].push(store.ingest(splitPackets(Buffer.from(k.publicKey))).fpr!.slice(0, 8));
        }
      },
    });
  });
  afterAll(() => s.close());
  const base = () => s.base;

  const lines = async (r: Response) => (await r.text()).split('\r\n').slice(0, -1);

  test("a day's prefixes: 8 hex digits, CRLF after each, only that UTC day's changes", async () => {
    const r = await fetch(`${base()}/pks/v2/prefixlog/2026-06-05`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect((await lines(r)).sort()).toEqual([...ingested.day].sort());
    expect((await lines(await fetch(`${base()}/pks/v2/prefixlog/2026-06-04`))).sort()).toEqual([...new Set(ingested.before)].sort());
    expect(await lines(await fetch(`${base()}/pks/v2/prefixlog/2026-06-06`))).toEqual(ingested.after);
  });

  test('a day without changes is an empty 200; a bad date is 400', async () => {
    const empty = await fetch(`${base()}/pks/v2/prefixlog/2020-01-01`);
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    for (const d of ['2026-02-30', '2026-6-5', 'yesterday', '2026-06-05T00:00']) {
      const r = await fetch(`${base()}/pks/v2/prefixlog/${d}`);
      expect([d, r.status]).toEqual([d, 400]);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
    }
  });
});
