/**
 * Real SKS keyservers (Debian's /usr/sbin/sks) on 127.0.0.1 for interop tests, built on
 * scripts/sks-peer.sh (which handles the SKS setup gotchas; read its header).
 *
 * @example
 * ```ts
 * const sks = await startSks({ keys: ['/usr/share/keyrings/debian-role-keys.gpg'] });
 * afterAll(stopAllSks);                       // stops every peer this file started
 * expect(await sks.count()).toBe(NUMBER_OF_KEYS);
 * expect(await sks.hget('62DE72FD503A3D71992C9E58E235E285')).toBe(true);
 * ```
 *
 * Ports: the script picks free ports itself ('auto') under a machine-wide flock, after the
 * slow import and until both daemons listen, so parallel jest workers (and parallel test
 * runs) never collide.  The range is SKS_PEER_PORT_MIN..SKS_PEER_PORT_MAX (default
 * 21370..21399).
 * Cleanup: every peer is registered here; `stopAllSks()` (use it in `afterAll`) stops and
 * deletes them all, also when a test failed.  As a last resort the script runs a watchdog
 * per peer that stops it and deletes its dir once this process exits, even on SIGKILL.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync, statSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const SKS_PEER_SCRIPT = path.join(REPO_ROOT, 'scripts/sks-peer.sh');
export const SKS_BINARY = process.env.SKS ?? '/usr/sbin/sks';

export interface SksOptions {
  /** keyring files, SKS dump *.pgp files, armored files, or directories of *.pgp/*.gpg */
  keys?: string[];
  /** recon ports of other local peers to list in membership */
  peers?: number[];
  /** gossip interval in minutes (default 0.1 = 6 s) */
  gossipMinutes?: number;
  /** never initiate recon (still answers) */
  dontGossip?: boolean;
  /** SKS debuglevel (default 4; count() needs >= 3) */
  debugLevel?: number;
  /** more sks-peer.sh start options, e.g. ['-o', 'max_matches:1000'] */
  extraArgs?: string[];
  /** readiness timeout of the script, seconds (default 120) */
  timeoutSeconds?: number;
}

export interface SksPeer {
  /** the peer's directory (deleted by destroy()/stopAllSks()) */
  readonly dir: string;
  /** current ports; a restart with start() may pick new ones */
  readonly hkpPort: number;
  readonly reconPort: number;
  /** http://127.0.0.1:HKP_PORT */
  readonly url: string;
  /** seconds of build+cleandb+pbuild from DIR/import.times, if this peer imported keys */
  readonly importSeconds: number | undefined;
  /** is sks db running? */
  readonly running: boolean;
  /** stop db and recon (keeps the dir: start() again or dump()) */
  stop(): Promise<void>;
  /** start a stopped peer again on its existing DB */
  start(): Promise<void>;
  /** number of keys (forces SKS to recompute op=stats) */
  count(): Promise<number>;
  /** is a key with this SKS hash (32 hex digits) stored? */
  hget(hash: string): Promise<boolean>;
  /** the hashes that hget() does not find, checked with at most `concurrency` requests in flight */
  missing(hashes: readonly string[], concurrency?: number): Promise<string[]>;
  /** stop the peer (SKS cannot dump while db runs) and `sks dump` it into outdir */
  dump(outdir: string, keysPerFile?: number): Promise<void>;
  /** stop and delete the dir */
  destroy(): Promise<void>;
}

export interface ScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run scripts/sks-peer.sh with args; resolves when it exits (never rejects). */
export function runSksPeerScript(args: readonly string[], timeoutMs = 300_000): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [SKS_PEER_SCRIPT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SKS_PEER_PORT_MIN: process.env.SKS_PEER_PORT_MIN ?? '21370',
        SKS_PEER_PORT_MAX: process.env.SKS_PEER_PORT_MAX ?? '21399',
      },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

async function script(args: readonly string[]): Promise<string> {
  const r = await runSksPeerScript(args);
  if (r.code !== 0) {
    throw new Error(`sks-peer.sh ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

const live = new Set<SksPeerImpl>();

class SksPeerImpl implements SksPeer {
  hkpPort = 0;
  reconPort = 0;
  running = false;

  constructor(
    readonly dir: string,
    private readonly startArgs: string[],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.hkpPort}`;
  }

  get importSeconds(): number | undefined {
    const f = path.join(this.dir, 'import.times');
    if (!existsSync(f)) return undefined;
    const m = /total=([0-9.]+)/.exec(readFileSync(f, 'utf8'));
    return m ? Number(m[1]) : undefined;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // keys are only imported on the first start (the script refuses -k on an existing DB)
    const first = !existsSync(path.join(this.dir, 'var/lib/sks/DB'));
    const args = first ? this.startArgs : this.startArgs.filter((_, i, a) => a[i] !== '-k' && a[i - 1] !== '-k');
    const stdout = await script(['start', this.dir, 'auto', 'auto', '-w', String(process.pid), ...args]);
    const m = /hkp_port=(\d+) recon_port=(\d+)/.exec(stdout);
    if (!m) throw new Error(`sks-peer.sh start printed no ports: ${stdout}`);
    this.hkpPort = Number(m[1]);
    this.reconPort = Number(m[2]);
    this.running = true;
  }

  async stop(): Promise<void> {
    await script(['stop', this.dir]);
    this.running = false;
  }

  async count(): Promise<number> {
    const n = Number((await script(['count', this.dir])).trim());
    if (!Number.isInteger(n)) throw new Error(`sks-peer.sh count: no number`);
    return n;
  }

  /**
   * SKS 1.1.6 answers op=hget with 200 + the armored key when the hash is stored, and with
   * 500 "Requested hash not found" when it is not (never 404).  A malformed hash also gets
   * 500 ("Exception raised"), so hashes are checked here and any other answer throws.
   */
  async hget(hash: string): Promise<boolean> {
    if (!/^[0-9a-fA-F]{32}$/.test(hash)) throw new Error(`not an SKS hash: '${hash}'`);
    const { status, body } = await httpGet(this.hkpPort, `/pks/lookup?op=hget&options=mr&search=${hash.toUpperCase()}`);
    if (status === 200 && body.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return true;
    if (status === 500 && body.includes('Requested hash not found')) return false;
    throw new Error(`SKS op=hget ${hash}: unexpected HTTP ${status}: ${body.slice(0, 300)}`);
  }

  async missing(hashes: readonly string[], concurrency = 8): Promise<string[]> {
    const absent: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < hashes.length) {
        const h = hashes[next++];
        if (!(await this.hget(h))) absent.push(h);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, 8)) }, worker));
    return absent.sort();
  }

  async dump(outdir: string, keysPerFile = 15000): Promise<void> {
    if (this.running) await this.stop();
    await script(['dump', this.dir, outdir, String(keysPerFile)]);
  }

  async destroy(): Promise<void> {
    try {
      await script(['stop', this.dir]);
    } finally {
      this.running = false;
      live.delete(this);
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Start an SKS peer (db + recon) in a fresh /tmp/dks-XXXXXX dir and wait until it serves. */
export async function startSks(opts: SksOptions = {}): Promise<SksPeer> {
  if (!existsSync(SKS_BINARY)) {
    throw new Error(`${SKS_BINARY} not found: install the Debian package 'sks' (apt-get install sks)`);
  }
  const args: string[] = [];
  for (const k of opts.keys ?? []) args.push('-k', path.resolve(k));
  if (opts.gossipMinutes !== undefined) args.push('-g', String(opts.gossipMinutes));
  if (opts.dontGossip) args.push('-G');
  if (opts.debugLevel !== undefined) args.push('-d', String(opts.debugLevel));
  if (opts.timeoutSeconds !== undefined) args.push('-t', String(opts.timeoutSeconds));
  args.push(...(opts.extraArgs ?? []));
  args.push(...(opts.peers ?? []).map(String)); // positional: must come last
  // short path: the AF_UNIX command sockets live inside it (limit ~108 bytes)
  const dir = mkdtempSync('/tmp/dks-');
  writeFileSync(path.join(dir, '.dks-remove'), ''); // the watchdog may delete this dir
  const peer = new SksPeerImpl(dir, args);
  live.add(peer);
  try {
    await peer.start();
  } catch (e) {
    await peer.destroy().catch(() => undefined);
    throw e;
  }
  return peer;
}

/** Stop and delete every peer started by this module (for afterAll). */
export async function stopAllSks(): Promise<void> {
  const errors: unknown[] = [];
  await Promise.all([...live].map((p) => p.destroy().catch((e) => errors.push(e))));
  if (errors.length) throw errors[0];
}

function httpGet(port: number, urlPath: string, timeoutMs = 30_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // SKS speaks HTTP/1.0 and closes every connection: no keep-alive agent
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET 127.0.0.1:${port}${urlPath}: timeout`)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------
// An independent SKS-hash oracle for diagnostics: when SKS and dkeyserv disagree, both
// sides are dumped and compared key by key.  Deliberately not @dkeyserv/pgp, so a bug
// there cannot hide itself in the report.  SKS hash = MD5 over the packets sorted by
// (tag, body) of int32be(tag) || int32be(len) || body (docs/sks-key-hash.md §1).

export interface RawPacket {
  tag: number;
  body: Buffer;
}

export interface DumpedKey {
  hash: string; // lowercase hex
  fingerprint: string; // lowercase hex, or 'v3:<keyid>' style for odd versions
  uid: string;
  packets: RawPacket[];
  bytes: Buffer;
  file: string;
}

/** Split a binary OpenPGP packet stream; throws on partial lengths / garbage. */
export function splitPackets(buf: Buffer): Array<RawPacket & { start: number; end: number }> {
  const out: Array<RawPacket & { start: number; end: number }> = [];
  let i = 0;
  while (i < buf.length) {
    const start = i;
    const b = buf[i++];
    if (!(b & 0x80)) throw new Error(`not a packet header at offset ${start}`);
    let tag: number;
    let len: number;
    if (b & 0x40) {
      tag = b & 0x3f;
      const o1 = buf[i++];
      if (o1 < 192) len = o1;
      else if (o1 < 224) len = ((o1 - 192) << 8) + buf[i++] + 192;
      else if (o1 === 255) {
        len = buf.readUInt32BE(i);
        i += 4;
      } else throw new Error(`partial body length at offset ${start}`);
    } else {
      tag = (b >> 2) & 0x0f;
      const lt = b & 3;
      if (lt === 0) len = buf[i++];
      else if (lt === 1) {
        len = buf.readUInt16BE(i);
        i += 2;
      } else if (lt === 2) {
        len = buf.readUInt32BE(i);
        i += 4;
      } else throw new Error(`indeterminate length at offset ${start}`);
    }
    if (i + len > buf.length) throw new Error(`truncated packet at offset ${start}`);
    out.push({ tag, body: buf.subarray(i, i + len), start, end: i + len });
    i += len;
  }
  return out;
}

export function sksHashOf(packets: readonly RawPacket[]): string {
  const sorted = [...packets].sort((a, b) => a.tag - b.tag || Buffer.compare(a.body, b.body));
  const md5 = createHash('md5');
  for (const p of sorted) {
    const hdr = Buffer.alloc(8);
    hdr.writeUInt32BE(p.tag, 0);
    hdr.writeUInt32BE(p.body.length, 4);
    md5.update(hdr).update(p.body);
  }
  return md5.digest('hex');
}

function fingerprintOf(primary: Buffer): string {
  const v = primary[0];
  if (v === 4) {
    const h = Buffer.from([0x99, primary.length >> 8, primary.length & 0xff]);
    return createHash('sha1').update(h).update(primary).digest('hex');
  }
  if (v === 5 || v === 6) {
    const h = Buffer.alloc(5);
    h[0] = v === 5 ? 0x9a : 0x9b;
    h.writeUInt32BE(primary.length, 1);
    return createHash('sha256').update(h).update(primary).digest('hex');
  }
  return `v${v}-key-md5:${createHash('md5').update(primary).digest('hex')}`;
}

/** Keys (by SKS hash) in a binary keyring / dump file, or in every *.pgp / *.gpg of a directory. */
export function keysOf(fileOrDir: string): Map<string, DumpedKey> {
  const files = statSync(fileOrDir).isDirectory()
    ? readdirSync(fileOrDir)
        .filter((f) => /\.(pgp|gpg)$/.test(f))
        .sort()
        .map((f) => path.join(fileOrDir, f))
    : [fileOrDir];
  const keys = new Map<string, DumpedKey>();
  for (const file of files) {
    const buf = readFileSync(file);
    const pkts = splitPackets(buf);
    let cur: typeof pkts = [];
    const flush = (): void => {
      if (!cur.length) return;
      const hash = sksHashOf(cur);
      const uidPkt = cur.find((p) => p.tag === 13);
      keys.set(hash, {
        hash,
        fingerprint: fingerprintOf(cur[0].body),
        uid: uidPkt ? uidPkt.body.toString('utf8') : '',
        packets: cur.map(({ tag, body }) => ({ tag, body })),
        bytes: buf.subarray(cur[0].start, cur[cur.length - 1].end),
        file: path.basename(file),
      });
      cur = [];
    };
    for (const p of pkts) {
      if (p.tag === 6) flush();
      if (!cur.length && p.tag !== 6) throw new Error(`${file}: packet tag ${p.tag} outside a key at ${p.start}`);
      cur.push(p);
    }
    flush();
  }
  return keys;
}

/** Number of keys (public-key packets) in each *.pgp file of a dump dir, by file name. */
export function keysPerDumpFile(dir: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.pgp')).sort()) {
    m.set(f, splitPackets(readFileSync(path.join(dir, f))).filter((p) => p.tag === 6).length);
  }
  return m;
}

const TAG_NAMES: Record<number, string> = {
  2: 'sig', 6: 'pubkey', 12: 'trust', 13: 'uid', 14: 'subkey', 17: 'uat',
};

function packetLine(p: RawPacket): string {
  const name = TAG_NAMES[p.tag] ?? `tag${p.tag}`;
  let extra = '';
  if (p.tag === 2 && p.body[0] === 4) extra = ` sigtype=0x${p.body[1].toString(16).padStart(2, '0')}`;
  if (p.tag === 13) extra = ` "${p.body.toString('utf8').slice(0, 60)}"`;
  return `${name}(${p.tag}) len=${p.body.length}${extra} md5=${createHash('md5').update(p.body).digest('hex').slice(0, 12)}`;
}

function packetKey(p: RawPacket): string {
  return `${p.tag}:${createHash('md5').update(p.body).digest('hex')}`;
}

/**
 * A readable report of how two key sets (by SKS hash) differ: keys only on one side, and
 * for a fingerprint present on both sides with different hashes, the packets that differ.
 * At most `limit` keys are detailed.
 */
export function describeKeyDiff(
  a: Map<string, DumpedKey>,
  b: Map<string, DumpedKey>,
  labelA: string,
  labelB: string,
  limit = 20,
): string {
  const onlyA = [...a.values()].filter((k) => !b.has(k.hash));
  const onlyB = [...b.values()].filter((k) => !a.has(k.hash));
  if (!onlyA.length && !onlyB.length) return `${labelA} and ${labelB} hold the same ${a.size} keys`;
  const lines: string[] = [
    `${labelA}: ${a.size} keys, ${labelB}: ${b.size} keys; ${onlyA.length} hashes only in ${labelA}, ${onlyB.length} only in ${labelB}`,
  ];
  const byFprB = new Map<string, DumpedKey[]>();
  for (const k of onlyB) byFprB.set(k.fingerprint, [...(byFprB.get(k.fingerprint) ?? []), k]);
  let shown = 0;
  const seenB = new Set<string>();
  for (const ka of onlyA) {
    if (shown++ >= limit) break;
    const kbs = byFprB.get(ka.fingerprint) ?? [];
    if (!kbs.length) {
      lines.push(`- only in ${labelA}: hash ${ka.hash} fpr ${ka.fingerprint} "${ka.uid}" (${ka.packets.length} packets, ${ka.file})`);
      continue;
    }
    for (const kb of kbs) {
      seenB.add(kb.hash);
      lines.push(`- fpr ${ka.fingerprint} "${ka.uid}": ${labelA} hash ${ka.hash} (${ka.packets.length} packets), ${labelB} hash ${kb.hash} (${kb.packets.length} packets)`);
      // packets whose number of copies differs (0 = missing on that side)
      const count = (ps: RawPacket[]): Map<string, { n: number; p: RawPacket }> => {
        const m = new Map<string, { n: number; p: RawPacket }>();
        for (const p of ps) m.set(packetKey(p), { n: (m.get(packetKey(p))?.n ?? 0) + 1, p });
        return m;
      };
      const ca = count(ka.packets);
      const cb = count(kb.packets);
      const diffs: string[] = [];
      for (const [k, { n, p }] of ca) if ((cb.get(k)?.n ?? 0) !== n) diffs.push(`    ${labelA} ${n}x, ${labelB} ${cb.get(k)?.n ?? 0}x: ${packetLine(p)}`);
      for (const [k, { n, p }] of cb) if (!ca.has(k)) diffs.push(`    ${labelA} 0x, ${labelB} ${n}x: ${packetLine(p)}`);
      lines.push(...diffs.slice(0, 6));
      if (diffs.length > 6) lines.push(`    ... ${diffs.length - 6} more packets differ`);
    }
  }
  for (const kb of onlyB) {
    if (seenB.has(kb.hash)) continue;
    if (shown++ >= limit) break;
    lines.push(`- only in ${labelB}: hash ${kb.hash} fpr ${kb.fingerprint} "${kb.uid}" (${kb.packets.length} packets, ${kb.file})`);
  }
  if (shown > limit) lines.push(`  ... (${onlyA.length + onlyB.length - limit} more not shown)`);
  return lines.join('\n');
}

/**
 * Compare the hash list a dkeyserv store reports with a running SKS: SKS's key count must
 * equal the number of hashes and SKS must find every one by op=hget.  Returns null when they
 * agree, else a report.  To explain a difference, SKS is dumped (which stops it) and so is
 * dkeyserv (`dumpDkeyserv(outdir)`), and the two dumps are compared key by key.
 */
export async function compareWithSks(
  sks: SksPeer,
  dkeyservHashes: readonly string[],
  dumpDkeyserv?: (outdir: string) => Promise<void>,
): Promise<string | null> {
  const problems: string[] = [];
  const dups = dkeyservHashes.filter((h, i, all) => all.indexOf(h) !== i);
  if (dups.length) problems.push(`dkeyserv printed ${dups.length} duplicate hashes: ${dups.slice(0, 10).join(' ')}`);
  const count = await sks.count();
  const absent = await sks.missing(dkeyservHashes);
  if (count !== dkeyservHashes.length) problems.push(`SKS holds ${count} keys, dkeyserv ${dkeyservHashes.length}`);
  if (absent.length) {
    problems.push(`${absent.length} dkeyserv hashes not found by SKS op=hget: ${absent.slice(0, 20).join(' ')}${absent.length > 20 ? ' ...' : ''}`);
  }
  if (!problems.length) return null;

  const tmp = mkdtempSync('/tmp/dks-diff-');
  try {
    await sks.dump(path.join(tmp, 'sks'));
    const sksKeys = keysOf(path.join(tmp, 'sks'));
    problems.push(`SKS dump: ${sksKeys.size} keys`);
    const dkSet = new Set(dkeyservHashes.map((h) => h.toLowerCase()));
    const sksOnly = [...sksKeys.keys()].filter((h) => !dkSet.has(h));
    if (sksOnly.length) problems.push(`hashes SKS holds that dkeyserv does not list: ${sksOnly.slice(0, 20).join(' ')}${sksOnly.length > 20 ? ' ...' : ''}`);
    if (dumpDkeyserv) {
      await dumpDkeyserv(path.join(tmp, 'dkeyserv'));
      const dkKeys = keysOf(path.join(tmp, 'dkeyserv'));
      const unlisted = [...dkKeys.keys()].filter((h) => !dkSet.has(h));
      if (unlisted.length || dkKeys.size !== dkSet.size) {
        problems.push(`NOTE: 'dkeyserv dump' holds ${dkKeys.size} keys, ${unlisted.length} of them with a hash 'dkeyserv hashes' does not list`);
      }
      problems.push(describeKeyDiff(sksKeys, dkKeys, 'SKS', 'dkeyserv'));
    }
  } catch (e) {
    problems.push(`(could not build the key-by-key report: ${(e as Error).message})`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return problems.join('\n');
}
