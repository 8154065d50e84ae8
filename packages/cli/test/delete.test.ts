/**
 * `dkeyserv delete` (docs/operations.md §14) as an operator runs it: on the data directory of a
 * running `serve` (its HKP workers included), which stops serving the key at once — op=get by
 * fingerprint and hget answer 410 with the reason, hashquery leaves it out, an upload is refused,
 * stats list it — until `delete --undo` restores it; fsck passes. Bad arguments and config
 * entries are one line on stderr with exit code 2 (usage) or 1.
 */
import { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isRejection, prepareKey } from '@dkeyserv/db';
import { armor, isKeyringError, joinPackets, splitKeyring } from '@dkeyserv/pgp';
import { runSync, spawnDkeyserv } from '../../../test/helpers/dkeyserv';
import { reservePorts } from '../../../test/helpers/recon-node';
import { httpGet, httpRequest } from '../../../test/helpers/server';

const ROLE_KEYS = '/usr/share/keyrings/debian-role-keys.gpg';

function firstRoleKey() {
  const entry = [...splitKeyring(readFileSync(ROLE_KEYS))].find((e) => !isKeyringError(e));
  if (!entry || isKeyringError(entry)) throw new Error('no key in ' + ROLE_KEYS);
  const p = prepareKey(entry.packets);
  if (isRejection(p)) throw new Error(p.message);
  return { fpr: p.fpr.toString('hex').toUpperCase(), hash: p.hash.toString('hex'), armored: armor(joinPackets(entry.packets)) };
}

/** A hashquery body asking for one hash (docs/hkp.md §7); the answer's first 4 bytes count the keys. */
function hashqueryBody(hash: string): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(1, 0);
  b.writeUInt32BE(16, 4);
  Buffer.from(hash, 'hex').copy(b, 8);
  return b;
}

describe('dkeyserv delete', () => {
  let dir: string;
  let data: string;
  let port: number;
  let child: ChildProcess | undefined;
  const key = firstRoleKey();
  const REASON = 'court order 2026/17 (abuse)';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dks-delete-'));
    data = join(dir, 'data');
    expect(runSync(['import', '--data', data, ROLE_KEYS]).code).toBe(0);
    [port] = await reservePorts(1);
    const cfg = join(dir, 'serve.toml');
    // two HKP workers: the primary writes, the workers read the same store
    writeFileSync(cfg, `data = "${data}"\n[hkp]\nlisten = "127.0.0.1:${port}"\nworkers = 2\n[hkp.rateLimit]\nrequests = 10000\n[recon]\nlisten = "none"\n`);
    child = spawnDkeyserv(['serve', '--config', cfg]);
    child.stdout!.resume();
    child.stderr!.resume();
    for (let i = 0; i < 300; i++) {
      const ok = await httpGet(port, '/pks/lookup?op=stats&options=mr', 2000).then((r) => r.status === 200, () => false);
      if (ok) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('serve did not answer');
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.on('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const get = () => httpGet(port, `/pks/lookup?op=get&options=mr&search=0x${key.fpr}`);

  test('a running server stops serving a deleted key: 410 with the reason, out of hashquery, uploads refused, listed in stats', async () => {
    expect((await get()).status).toBe(200);
    const r = runSync(['delete', '--data', data, key.fpr, '--reason', REASON]);
    expect(r.stderr.split('\n').filter((l) => /"level":"(error|warn)"/.test(l))).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${key.fpr}: removed\n`);
    const gone = `key ${key.fpr} was removed from this server: ${REASON}\n`;
    // (each worker answers from the store; ask more than once so both are asked)
    for (let i = 0; i < 4; i++) {
      const g = await get();
      expect([g.status, g.text]).toEqual([410, gone]);
    }
    const h = await httpGet(port, `/pks/lookup?op=hget&search=${key.hash}`);
    expect([h.status, h.text]).toEqual([410, gone]);
    const q = await httpRequest(port, '/pks/hashquery', { method: 'POST', body: hashqueryBody(key.hash) });
    expect(q.status).toBe(200);
    expect(q.body.readUInt32BE(0)).toBe(0);
    const up = await httpRequest(port, '/pks/add', { method: 'POST', body: `keytext=${encodeURIComponent(key.armored)}`, contentType: 'application/x-www-form-urlencoded' });
    expect(up.status).toBe(422);
    expect(up.text).toBe(`no key stored: blocked: key ${key.fpr} was removed from this server: ${REASON}\n`);
    expect((await get()).status).toBe(410);
    // stats are cached for up to 10 s by each HKP process
    let stats: { total: number; takedowns: { count: number; keys: { fingerprint: string; reason: string; source: string }[] } } | undefined;
    let page = '';
    for (let i = 0; i < 60; i++) {
      stats = JSON.parse((await httpGet(port, '/pks/lookup?op=stats&options=mr')).text);
      page = (await httpGet(port, '/pks/lookup?op=stats')).text;
      if (stats!.takedowns.count === 1 && page.includes(REASON)) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(stats!.takedowns).toEqual({ count: 1, keys: [{ fingerprint: key.fpr, reason: REASON, since: expect.any(String), source: 'operator' }] });
    expect(stats!.total).toBe(5);
    expect(page).toContain(`<td><code>${key.fpr}</code></td>`);
    expect(page).toContain(`<td>${REASON}</td>`);
    const list = runSync(['delete', '--data', data, '--list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`^${key.fpr} \\S+ operator: ${REASON.replace(/[()/]/g, '\\$&')}\n$`));
  }, 120_000);

  test('deleting again is harmless; undo restores the key on the running server', async () => {
    const again = runSync(['delete', '--data', data, key.fpr, '--reason', 'again']);
    expect([again.code, again.stdout]).toEqual([0, `${key.fpr}: already taken down\n`]);
    const u = runSync(['delete', '--data', data, '--undo', key.fpr]);
    expect([u.code, u.stdout]).toEqual([0, `${key.fpr}: restored\n`]);
    for (let i = 0; i < 4; i++) expect((await get()).status).toBe(200);
    const h = await httpGet(port, `/pks/lookup?op=hget&search=${key.hash}`);
    expect(h.status).toBe(200);
    const nothing = runSync(['delete', '--data', data, '--undo', key.fpr]);
    expect([nothing.code, nothing.stdout]).toEqual([1, `${key.fpr}: not taken down: nothing to undo\n`]);
  }, 60_000);

  test('fsck passes with a takedown in the store', () => {
    expect(runSync(['delete', '--data', data, key.fpr, '--reason', REASON]).code).toBe(0);
    const f = runSync(['fsck', '--data', data]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/^fsck: 5 keys, \d+ hashes, \d+ index entries, 1 takedowns: consistent$/m);
    expect(runSync(['delete', '--data', data, '--undo', key.fpr]).code).toBe(0);
  });

  test.each([
    [['DEADBEEF', '--reason', 'x'], 'dkeyserv: delete: not a key fingerprint: "DEADBEEF" (expected 32, 40 or 64 hex digits)'],
    [['0x' + 'Z'.repeat(40), '--reason', 'x'], `dkeyserv: delete: not a key fingerprint: "0x${'Z'.repeat(40)}" (expected 32, 40 or 64 hex digits)`],
    [['AB'.repeat(20)], 'dkeyserv: delete: --reason TEXT is required (it is shown in answers about the key)'],
    [['AB'.repeat(20), '--reason', 'two\nlines'], 'dkeyserv: delete: the reason must be one line of printable text'],
    [['AB'.repeat(20), '--reason', ' '], 'dkeyserv: delete: a takedown needs a reason (one line of text)'],
    [['--undo', 'AB'.repeat(20), '--reason', 'x'], 'dkeyserv: delete --undo takes no --reason'],
    [[], 'dkeyserv: delete: name at least one fingerprint'],
  ])('bad arguments %j: one line, exit 2', (args, line) => {
    const r = runSync(['delete', '--data', data, ...args]);
    expect([r.code, r.stderr]).toEqual([2, line + '\n']);
  });

  test('[policy] blocked: applied when the store opens, strictly checked', () => {
    const cfg = join(dir, 'blocked.toml');
    const other = join(dir, 'other');
    writeFileSync(cfg, `data = "${other}"\n[policy]\nblocked = [{ fpr = "${key.fpr}", reason = "listed" }]\n`);
    const imp = runSync(['import', '--config', cfg, ROLE_KEYS]);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/rejected: blocked: 1/);
    expect(runSync(['delete', '--config', cfg, '--list']).stdout).toMatch(new RegExp(`^${key.fpr} \\S+ config \\(never stored\\): listed\n$`));
    const undo = runSync(['delete', '--config', cfg, '--undo', key.fpr]);
    expect([undo.code, undo.stderr]).toEqual([2, `dkeyserv: delete --undo: ${key.fpr} is listed in [policy] blocked of the config: remove it there\n`]);
    const bad: [string, string][] = [
      ['blocked = "x"', ' must be a list of "FINGERPRINT" or { fpr = "FINGERPRINT", reason = "one line of at most 200 characters" }'],
      ['blocked = ["1234"]', '[0]: not a key fingerprint: "1234" (expected 32, 40 or 64 hex digits)'],
      [`blocked = [{ fpr = "${key.fpr}", why = "x" }]`, '[0] must be "FINGERPRINT" or { fpr = "FINGERPRINT", reason = "TEXT" }'],
      [`blocked = ["${key.fpr}", "${key.fpr.toLowerCase()}"]`, `[1]: fingerprint ${key.fpr} is listed twice`],
    ];
    for (const [line, error] of bad) {
      writeFileSync(cfg, `data = "${other}"\n[policy]\n${line}\n`);
      const r = runSync(['delete', '--config', cfg, '--list']);
      expect([r.code, r.stderr]).toEqual([1, `dkeyserv: config ${cfg}: policy.blocked${error}\n`]);
    }
  });
});
