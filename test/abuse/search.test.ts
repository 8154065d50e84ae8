/**
 * Abuse suite, searches (issue 12; docs/hkp.md): a store of 5,000 generated keys
 * (bench/gen-keys.mjs), nearly every one with "example" in its e-mail domain, and a client on
 * 127.0.0.1 asking for that common word five times a second — each answer is the same "too many
 * results" 422 (maxResults 500), which should cost next to nothing. A normal client on 127.0.0.2
 * asks `op=get` four times a second meanwhile: every probe answered with 200, p90 ≤ 200 ms, and
 * RssAnon of all server processes grows by less than the stated bound.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { abuseCase, sleep, type Attack } from '../helpers/abuse';
import { importKeys, REPO_ROOT, tempDir } from '../helpers/dkeyserv';
import { stopAllServers } from '../helpers/server';

const N = 5000;
let dir: string;
let keyring: string;
let data: string;

beforeAll(async () => {
  dir = tempDir('abuse-search');
  const keys = path.join(dir, 'keys');
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'bench/gen-keys.mjs'), String(N), keys], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gen-keys exited ${r.status}: ${r.stderr}`);
  keyring = path.join(keys, 'sks-dump-0000.pgp');
  data = path.join(dir, 'data');
  await importKeys(data, [keyring]);
}, 120_000);

afterAll(async () => {
  await stopAllServers();
  rmSync(dir, { recursive: true, force: true });
});

/** GET `urlPath` from 127.0.0.1 `perSecond` times a second (each on its own connection) until the attack ends; notes the statuses. */
async function paced(a: Attack, port: number, urlPath: string, perSecond: number): Promise<void> {
  const statuses = new Map<number, number>();
  const pending: Promise<void>[] = [];
  while (a.running()) {
    pending.push(
      new Promise<void>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false }, (res) => {
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          res.resume();
          res.on('end', resolve);
        });
        req.on('socket', (s) => a.track(s));
        req.on('error', () => resolve());
        req.on('close', () => resolve());
      }),
    );
    await sleep(Math.min(1000 / perSecond, a.left()));
  }
  await Promise.all(pending);
  a.note(`answers: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ') || 'none'}`);
}

describe('abuse: searches', () => {
  for (const op of ['index', 'vindex']) {
    test(`op=${op}&search=example (thousands of matches), 5 a second: +150 MB`, async () => {
      await abuseCase(`search-common-word-${op}`, { keyring, server: { data }, bounds: { rssGrowthMb: 150 } }, (a, srv) =>
        paced(a, srv.port, `/pks/lookup?op=${op}&options=mr&search=example`, 5),
      );
    });
  }
});
