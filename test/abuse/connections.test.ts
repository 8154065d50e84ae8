/**
 * Abuse suite, connections and HTTP framing (issue 12; docs/hkp.md): one client on 127.0.0.1
 * holds or abuses connections of a real `dkeyserv serve` (the operator's defaults but a fixed
 * `--workers 2` where the count of connections matters) for 4 s while
 * a normal client on 127.0.0.2 asks `op=get` four times a second. Each case: every probe
 * answered with 200, p90 ≤ 200 ms, RssAnon of all server processes grows by less than the stated
 * bound. Where the attack is a number of open connections, the 4 s and the probes start once
 * they are open (`waitForReady`). The first case, with no attack, shows what the machine gives when nobody attacks.
 * Requests are written on raw sockets, so nothing in a client library tidies them.
 */
import { abuseCase, connectMany, sleep, type Attack } from '../helpers/abuse';
import { stopAllServers } from '../helpers/server';

const keyring = '/usr/share/keyrings/debian-role-keys.gpg';

afterAll(() => stopAllServers());

/** write `text` to every open socket every `ms` until the attack ends */
async function every(a: Attack, ms: number, sockets: { destroyed: boolean; write(s: string): unknown }[], text: (i: number) => string): Promise<void> {
  for (let tick = 0; a.running(); tick++) {
    sockets.forEach((s, i) => {
      if (!s.destroyed) s.write(text(tick * sockets.length + i));
    });
    await sleep(Math.min(ms, a.left()));
  }
}

describe('abuse: connections', () => {
  test('control: no attack', async () => {
    await abuseCase('control', { keyring, bounds: { rssGrowthMb: 50 } }, async (a) => {
      while (a.running()) await sleep(a.left());
    });
  });

  test('2,000 idle sockets from one address: +150 MB', async () => {
    await abuseCase('idle-2000', { keyring, bounds: { rssGrowthMb: 150 }, server: { args: ['--workers', '2'] }, waitForReady: true }, async (a, srv) => {
      const s = await connectMany(a, srv.port, 2000);
      a.ready();
      a.note(`${s.length} connected, ${s.filter((x) => !x.destroyed).length} open at the end of connecting`);
      while (a.running()) await sleep(a.left());
      a.note(`${s.filter((x) => !x.destroyed).length} still open at the end`);
    });
  });

  test('2,000 keep-alive connections from one address, each asking /pks/health every 4 s (inside the 5 s keep-alive timeout): +150 MB', async () => {
    await abuseCase('keepalive-2000', { keyring, bounds: { rssGrowthMb: 150 }, server: { args: ['--workers', '2'] }, waitForReady: true }, async (a, srv) => {
      const s = await connectMany(a, srv.port, 2000, { onConnect: (x) => x.resume() });
      a.ready();
      a.note(`${s.length} connected`);
      await every(a, 4000, s, () => 'GET /pks/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      a.note(`${s.filter((x) => !x.destroyed).length} still open at the end`);
    });
  });

  // two workers take 2 × maxConnections (2,000): 4,500 are more than the server takes in all
  const MORE = { keyring, bounds: { rssGrowthMb: 200 }, server: { args: ['--workers', '2'] }, waitForReady: true };

  test('4,500 idle sockets from one address, more than the server takes: +200 MB', async () => {
    await abuseCase('idle-4500', MORE, async (a, srv) => {
      const s = await connectMany(a, srv.port, 4500, { batch: 250 });
      a.ready();
      a.note(`${s.length} connected`);
      while (a.running()) await sleep(a.left());
      a.note(`${s.filter((x) => !x.destroyed).length} still open at the end`);
    });
  });

  test('4,500 keep-alive connections from one address, each asking /pks/health every 4 s (inside the 5 s keep-alive timeout): +200 MB', async () => {
    await abuseCase('keepalive-4500', MORE, async (a, srv) => {
      const s = await connectMany(a, srv.port, 4500, { batch: 250, onConnect: (x) => x.resume() });
      a.ready();
      a.note(`${s.length} connected`);
      await every(a, 4000, s, () => 'GET /pks/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      a.note(`${s.filter((x) => !x.destroyed).length} still open at the end`);
    });
  });

  test('slowloris: 1,000 connections dribbling their request head one byte a second: +150 MB', async () => {
    await abuseCase('slowloris-1000', { keyring, bounds: { rssGrowthMb: 150 }, waitForReady: true }, async (a, srv) => {
      const s = await connectMany(a, srv.port, 1000, { onConnect: (x) => x.write('GET /pks/lookup?op=get&search=') });
      a.ready();
      await every(a, 1000, s, () => 'a');
    });
  });

  test('a 5 MB body announced by Content-Length and sent at 100 bytes a second, 200 connections: +150 MB', async () => {
    await abuseCase('slow-body-200', { keyring, bounds: { rssGrowthMb: 150 }, waitForReady: true }, async (a, srv) => {
      const s = await connectMany(a, srv.port, 200, {
        onConnect: (x) => x.write('POST /pks/add HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000000\r\n\r\nkeytext='),
      });
      a.ready();
      await every(a, 1000, s, () => 'A'.repeat(100));
    });
  });

  test('20 connections each pipelining 2,000 requests and never reading the answers: +200 MB', async () => {
    await abuseCase('pipelined-unread', { keyring, bounds: { rssGrowthMb: 200 } }, async (a, srv) => {
      const one = 'GET /pks/lookup?op=index&options=mr&search=debian HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n';
      // never read: the answers pile up in the server unless it stops reading requests
      await connectMany(a, srv.port, 20, { onConnect: (x) => (x.pause(), x.write(one.repeat(2000))) });
      while (a.running()) await sleep(a.left());
    });
  });

  test('10 MB header lines, 20 connections at a time, again and again: +150 MB', async () => {
    await abuseCase('huge-header-line', { keyring, bounds: { rssGrowthMb: 150 } }, async (a, srv) => {
      const chunk = 'a'.repeat(64 * 1024);
      let sent = 0;
      while (a.running()) {
        const s = await connectMany(a, srv.port, 20, { onConnect: (x) => (x.resume(), x.write('GET /pks/health HTTP/1.1\r\nX-Long: ')) });
        await Promise.all(
          s.map(async (x) => {
            for (let i = 0; i < 160 && a.running() && !x.destroyed; i++) {
              sent += chunk.length;
              if (!x.write(chunk)) await new Promise((r) => (x.once('drain', r), x.once('close', r), setTimeout(r, 500)));
            }
            x.destroy();
          }),
        );
      }
      a.note(`${(sent / 1e6).toFixed(0)} MB of header sent`);
    });
  });

  test('a deep percent-encoded query ("%25" × 2,500, 16 requests in flight): +100 MB', async () => {
    await abuseCase('deep-percent-query', { keyring, bounds: { rssGrowthMb: 100 } }, async (a, srv) => {
      const req = `GET /pks/lookup?op=index&search=${'%25'.repeat(2500)}%2541 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
      const statuses = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (a.running()) {
            const [x] = await connectMany(a, srv.port, 1);
            if (!x) continue;
            const status = await new Promise<string>((resolve) => {
              let head = '';
              x.on('data', (d: Buffer) => (head += d.toString('latin1')));
              x.on('close', () => resolve(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 'none'));
              x.write(req);
            });
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
          }
        }),
      );
      a.note(`answers: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')}`);
    });
  });
});
