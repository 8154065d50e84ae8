/**
 * `dkeyserv serve` as a user starts it: a config file, flags over it, and the errors a user can
 * cause (bad config, port in use) as one line with exit code 1.
 */
import { createServer, Server } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSync, spawnDkeyserv } from '../../../test/helpers/dkeyserv';

function freePort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server }));
  });
}

describe('dkeyserv serve', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-serve-'));
    expect(runSync(['import', '--data', join(dir, 'data'), '/usr/share/keyrings/debian-role-keys.gpg']).code).toBe(0);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('serves the store named in a config file, on the address given by --hkp', async () => {
    const { port, server } = await freePort();
    server.close();
    const cfg = join(dir, 'ok.toml');
    writeFileSync(cfg, `data = "${join(dir, 'data')}"\nnodename = "from-config"\n[hkp]\nlisten = "127.0.0.1:1"\n[hkp.rateLimit]\nrequests = 1000\n`);
    const child = spawnDkeyserv(['serve', '--config', cfg, '--hkp', `127.0.0.1:${port}`, '--recon', 'none']);
    try {
      let stats: { nodename: string; total: number } | undefined;
      for (let i = 0; i < 100 && !stats; i++) {
        await new Promise((r) => setTimeout(r, 100));
        stats = await fetch(`http://127.0.0.1:${port}/pks/lookup?op=stats&options=mr`).then((r) => r.json(), () => undefined);
      }
      expect(stats?.nodename).toBe('from-config');
      expect(stats?.total).toBe(6);
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.on('exit', r));
      }
    }
    expect(child.exitCode).toBe(0);
  });

  test('[limits] in the config file bind import too', () => {
    const cfg = join(dir, 'limits.toml');
    writeFileSync(cfg, `data = "${join(dir, 'limited')}"\n[limits]\nmaxPackets = 10\n`);
    const r = runSync(['import', '--config', cfg, '/usr/share/keyrings/debian-role-keys.gpg']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rejected: too-many-packets: [1-6]/);
    expect(runSync(['hashes', '--config', cfg]).stdout.trim().split('\n').filter(Boolean).length).toBeLessThan(6);
  });

  test('a port in use is one line and exit 1', async () => {
    const { port, server } = await freePort();
    try {
      const r = runSync(['serve', '--data', join(dir, 'data'), '--hkp', `127.0.0.1:${port}`, '--recon', 'none']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`dkeyserv: 127.0.0.1:${port} is already in use`);
    } finally {
      server.close();
    }
  });

  test('a recon port in use is one line and exit 1', async () => {
    const { port, server } = await freePort();
    const hkp = await freePort();
    hkp.server.close();
    try {
      const r = runSync(['serve', '--data', join(dir, 'data'), '--hkp', `127.0.0.1:${hkp.port}`, '--recon', `127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`dkeyserv: 127.0.0.1:${port} is already in use`);
    } finally {
      server.close();
    }
  });

  test('bad config files are one line and exit 1; bad flags exit 2', () => {
    const cases: [string, RegExp][] = [
      ['[hkp]\nlisten = "nope"\n', /hkp\.listen: expected HOST:PORT/],
      ['colour = "blue"\n', /unknown key colour/],
      ['[hkp]\nmaxResults = -3\n', /hkp\.maxResults must be a whole number/],
      ['this is not toml', /config .*bad\.toml: /],
    ];
    for (const [text, reason] of cases) {
      const cfg = join(dir, 'bad.toml');
      writeFileSync(cfg, text);
      const r = runSync(['serve', '--config', cfg]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(reason);
    }
    expect(runSync(['serve', '--config', join(dir, 'missing.toml')]).stderr).toMatch(/no such file/);
    expect(runSync(['serve', '--hkp', 'localhost']).code).toBe(1);
    expect(runSync(['serve', '--bogus']).code).toBe(2);
    expect(runSync(['serve', '--help']).stdout).toMatch(/--config <file>/);
  });
});
