/**
 * Hostile recon peers against running `dkeyserv serve` nodes, on 127.0.0.1 only.  Every byte a
 * peer sends is written by hand here (not with @dkeyserv/recon's codec), so nothing in our own
 * encoder can mend a malformed message.
 *
 *  - node A (debian-maintainers, 231 keys: its root is an internal node, so as requester it
 *    sends ReconRqstPoly for the root; `--gossip-interval 0`) is the TCP *acceptor*: the tests
 *    connect raw sockets to its recon port, so A plays the requester;
 *  - node B (debian-role-keys, 6 keys: its root is a leaf, so every other prefix lies below
 *    its leaf) gossips every second to a fake peer F (a net server in this test) and to
 *    node N: when B connects to F, B plays the responder and F behaves as a test tells it.
 *    Between tests F refuses B's sessions with a recognisable reason ("idle (test fake peer)").
 *
 *  - node C (`--hkp 127.0.0.1:0`) only shows which HKP port its Config advertises.
 *
 * Each hostile session must fail cleanly: the right answer on the wire where the protocol has
 * one (SKS's "failed" + reason texts, SKS's Error text for a prefix no tree can have), the
 * connection closed, a warning with the reason in the node's log, and the node keeps serving
 * HKP (`/pks/health` and a lookup after every test).  At the end a normal dkeyserv node N
 * starts, and A, B and N must reconcile to the union: the nodes still do normal recon.
 *
 * MOCK (said plainly): partial results need a peer that names elements and then dies in the
 * middle of a session.  A real SKS or dkeyserv cannot be made to do that on cue, so the fake
 * peer does it, and a fake `/pks/hashquery` server in this test (127.0.0.1, the `http port` the
 * fake advertises in its Config) serves those keys, taken from debian-nonupload.  Everything
 * else here is a real dkeyserv.
 *
 * Stalls: A and B run with `[recon] messageTimeout = 6` (seconds to wait for each message), so the
 * two stalled sessions (A: Config + "passed", then silence; B: a request trickled one byte per
 * second, which must not extend the deadline) run concurrently and take ~6 s.
 * Needs the Debian package debian-keyring (.ci/run installs it).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { keysOf, type DumpedKey } from '../helpers/sks';
import { reservePorts, sleep, startReconNode, stopAllReconNodes, waitUntil, type LogLine, type ReconNode } from '../helpers/recon-node';

const RINGS = '/usr/share/keyrings';
const MAINTAINERS = `${RINGS}/debian-maintainers.gpg`;
const ROLE_KEYS = `${RINGS}/debian-role-keys.gpg`;
const NONUPLOAD = `${RINGS}/debian-nonupload.gpg`;
const SKS_FILTERS = 'yminsky.dedup,yminsky.merge';
const IDLE_REASON = 'idle (test fake peer)';

// ------------------------------------------------------------------------------------------
// recon bytes, by hand (docs/recon.md §2–§4)

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
  return Buffer.concat([u32(b.length), b]);
};
const frame = (type: number, payload: Buffer = Buffer.alloc(0)): Buffer => Buffer.concat([u32(payload.length + 1), Buffer.from([type]), payload]);
/** prefix bitstring from '0'/'1' characters */
const bitstring = (bits: string): Buffer => {
  const bytes = Buffer.alloc((bits.length + 7) >> 3);
  [...bits].forEach((c, i) => {
    if (c === '1') bytes[i >> 3] |= 0x80 >> (i & 7);
  });
  return Buffer.concat([u32(bits.length), str(bytes)]);
};
/** an SKS hash (32 hex) as a 17-byte little-endian field element */
const element = (hashHex: string): Buffer => Buffer.concat([Buffer.from(hashHex, 'hex'), Buffer.from([0])]);
const zzOne = Buffer.concat([Buffer.from([1]), Buffer.alloc(16)]);

const MSG = { Poly: 0, Full: 1, Elements: 2, FullElements: 3, SyncFail: 4, Done: 5, Flush: 6, Error: 7, Config: 10 } as const;
const NAMES: Record<number, string> = Object.fromEntries(Object.entries(MSG).map(([k, v]) => [v, k]));

type ConfigValue = string | Buffer;
/** A Config as SKS sends it (keys alphabetical), with entries replaced or left out. */
function configFrame(httpPort: number, over: Record<string, ConfigValue> = {}, omit: string[] = []): Buffer {
  const entries: Record<string, ConfigValue> = { bitquantum: u32(2), filters: SKS_FILTERS, 'http port': u32(httpPort), mbar: u32(5), version: '1.1.6', ...over };
  const kept = Object.entries(entries).filter(([k]) => !omit.includes(k));
  return frame(MSG.Config, Buffer.concat([u32(kept.length), ...kept.map(([k, v]) => Buffer.concat([str(k), str(v)]))]));
}
const PASSED = str('passed');
const failed = (reason: string): Buffer => Buffer.concat([str('failed'), str(reason)]);
const elementsFrame = (hashes: string[]): Buffer => frame(MSG.Elements, Buffer.concat([u32(hashes.length), ...hashes.map(element)]));
const fullRequest = (bits: string, hashes: string[] = []): Buffer => frame(MSG.Full, Buffer.concat([bitstring(bits), u32(hashes.length), ...hashes.map(element)]));
const polyRequest = (bits: string, size: number): Buffer => frame(MSG.Poly, Buffer.concat([bitstring(bits), u32(size), u32(6), ...Array(6).fill(zzOne)]));

interface Frame {
  type: number;
  payload: Buffer;
}

/** A Config payload's (key, value) pairs. */
function parseConfigPayload(p: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let at = 4;
  const next = (): Buffer => {
    const n = p.readUInt32BE(at);
    const v = p.subarray(at + 4, at + 4 + n);
    at += 4 + n;
    return v;
  };
  for (let i = 0, n = p.readUInt32BE(0); i < n; i++) out.set(next().toString('latin1'), next());
  return out;
}

/** A raw recon connection: exact reads with deadlines, and whether/when the other side closed. */
class Raw {
  private buf = Buffer.alloc(0);
  private ended = false;
  private wake?: () => void;
  received = 0;
  error?: string;
  readonly closed: Promise<void>;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.received += d.length;
      this.wake?.();
    });
    socket.on('error', (e) => (this.error = e.message));
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.ended = true;
        this.wake?.();
        resolve();
      }),
    );
    // the peer's FIN ends our reads: answer with ours (a half-open socket would never 'close')
    socket.on('end', () => socket.end());
  }

  static connect(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Raw(s)));
      s.once('error', reject);
    });
  }

  write(...parts: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(parts));
  }

  async take(n: number, what: string, timeoutMs = 10_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.ended) throw new Error(`connection closed while reading ${what} (${this.buf.length} of ${n} bytes there)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms (${this.buf.length} of ${n} bytes there)`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async frame(timeoutMs?: number): Promise<Frame> {
    const len = (await this.take(4, 'a frame length', timeoutMs)).readUInt32BE(0);
    if (len === 0 || len > 1 << 24) throw new Error(`bad frame length ${len}`);
    const body = await this.take(len, 'a frame', timeoutMs);
    return { type: body[0], payload: body.subarray(1) };
  }

  async expectFrame(type: number, timeoutMs?: number): Promise<Frame> {
    const f = await this.frame(timeoutMs);
    if (f.type !== type) throw new Error(`expected ${NAMES[type]}, got message type ${f.type} (${NAMES[f.type] ?? '?'})`);
    return f;
  }

  /** the bare status string after Config: "passed", or "failed" + reason */
  async status(timeoutMs?: number): Promise<{ passed: boolean; reason?: string }> {
    const n = (await this.take(4, 'a status length', timeoutMs)).readUInt32BE(0);
    const word = (await this.take(n, 'a status', timeoutMs)).toString('latin1');
    if (word === 'passed') return { passed: true };
    if (word !== 'failed') throw new Error(`status ${JSON.stringify(word)}`);
    const m = (await this.take(4, 'a reason length', timeoutMs)).readUInt32BE(0);
    return { passed: false, reason: (await this.take(m, 'a reason', timeoutMs)).toString('utf8') };
  }

  /** frames up to and including Flush (what a requester sends per batch) */
  async untilFlush(timeoutMs?: number): Promise<Frame[]> {
    const out: Frame[] = [];
    for (;;) {
      const f = await this.frame(timeoutMs);
      out.push(f);
      if (f.type === MSG.Flush) return out;
    }
  }

  /** did the other side close the connection within ms? */
  async closedWithin(ms: number): Promise<boolean> {
    let t: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.closed.then(() => true), new Promise<boolean>((res) => (t = setTimeout(() => res(false), ms)))]);
    clearTimeout(t);
    return r;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

// ------------------------------------------------------------------------------------------
// the fake hashquery server (MOCK, see the header): serves debian-nonupload by SKS hash

const nonupload: DumpedKey[] = [...keysOf(NONUPLOAD).values()];
const hashqueries: string[][] = [];
let fakeHttp: http.Server;
let fakeHttpPort: number;

function startFakeHashquery(): Promise<void> {
  const byHash = new Map(nonupload.map((k) => [k.hash, k.bytes]));
  fakeHttp = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method !== 'POST' || req.url !== '/pks/hashquery' || body.length < 4) {
        res.writeHead(404).end();
        return;
      }
      const n = body.readUInt32BE(0);
      const asked: string[] = [];
      for (let i = 0, at = 4; i < n && at + 20 <= body.length; i++, at += 20) asked.push(body.subarray(at + 4, at + 20).toString('hex'));
      hashqueries.push(asked);
      const keys = asked.map((h) => byHash.get(h)).filter((k): k is Buffer => k !== undefined);
      const out = Buffer.concat([u32(keys.length), ...keys.flatMap((k) => [u32(k.length), k]), Buffer.from('\r\n')]);
      res.writeHead(200, { 'Content-Type': 'pgp/keys', 'Content-Length': out.length }).end(out);
    });
  });
  return new Promise((resolve) =>
    fakeHttp.listen(0, '127.0.0.1', () => {
      fakeHttpPort = (fakeHttp.address() as net.AddressInfo).port;
      resolve();
    }),
  );
}

// ------------------------------------------------------------------------------------------
// the fake peer F that node B gossips to

let fakePeer: net.Server;
let fakePort: number;
const fakeQueue: Array<(raw: Raw) => void> = [];

function startFakePeer(port: number): Promise<void> {
  fakePeer = net.createServer((socket) => {
    const raw = new Raw(socket);
    const handler = fakeQueue.shift();
    if (handler) return handler(raw);
    // idle: refuse with a reason the tests can tell apart from their own sessions
    raw.write(configFrame(fakeHttpPort), failed(IDLE_REASON));
    socket.end();
  });
  return new Promise((resolve, reject) => {
    fakePeer.once('error', reject);
    fakePeer.listen(port, '127.0.0.1', () => resolve());
  });
}

/**
 * Run `script` as F on B's next session with F, then return B's log line for that session
 * (the first line about F after the handler was queued that is not an idle refusal).
 */
async function sessionWithB(script: (raw: Raw) => Promise<void>): Promise<{ line: LogLine; raw: Raw }> {
  const mark = nodeB.mark();
  const raw = await new Promise<Raw>((resolve) => fakeQueue.push(resolve));
  try {
    await script(raw); // (a script that must keep the socket open just returns)
  } catch (e) {
    raw.destroy(); // a failed expectation must not leave B stuck in this session
    throw e;
  }
  const line = await nodeB.waitForLog((l) => l.component === 'recon' && l.peer === `127.0.0.1:${fakePort}` && !String(l.message).includes(IDLE_REASON), 90_000, mark);
  return { line, raw };
}

/** F's side of a good Config exchange with B (B is the TCP initiator: it writes its Config at once). */
async function handshakeAsAcceptor(raw: Raw): Promise<void> {
  raw.write(configFrame(fakeHttpPort), PASSED);
  await raw.expectFrame(MSG.Config);
  expect(await raw.status()).toEqual({ passed: true });
}

// ------------------------------------------------------------------------------------------
// node A: raw sessions to its recon port

/** Connect to A, run `script`, return A's log line for the session. */
async function sessionWithA(script: (raw: Raw) => Promise<void>): Promise<{ line: LogLine; raw: Raw }> {
  const mark = nodeA.mark();
  const raw = await Raw.connect(nodeA.reconPort);
  try {
    await script(raw);
  } catch (e) {
    raw.destroy(); // a failed expectation must not leave A busy with this session
    throw e;
  }
  const line = await nodeA.waitForLog((l) => l.component === 'recon' && /^recon from /.test(l.message), 90_000, mark);
  return { line, raw };
}

/** Our side of a good Config exchange with A (A, the acceptor, answers our Config with its own). */
async function handshakeAsInitiator(raw: Raw, httpPort = fakeHttpPort): Promise<void> {
  raw.write(configFrame(httpPort), PASSED);
  await raw.expectFrame(MSG.Config);
  expect(await raw.status()).toEqual({ passed: true });
}

/** A session failed cleanly: a warning naming the reason, nothing recovered unless said. */
function expectFailure(line: LogLine, reason: string | RegExp, found = 0): void {
  expect(line.level).toBe('warn');
  if (typeof reason === 'string') expect(line.message).toContain(reason);
  else expect(line.message).toMatch(reason);
  expect(line.found).toBe(found);
}

// ------------------------------------------------------------------------------------------

let nodeA: ReconNode;
let nodeB: ReconNode;
let nPorts: { hkp: number; recon: number };
const maintainers = [...keysOf(MAINTAINERS).values()];
const roleKeys = [...keysOf(ROLE_KEYS).values()];

beforeAll(async () => {
  await startFakeHashquery();
  const [fPort, nHkp, nRecon] = await reservePorts(3);
  fakePort = fPort;
  nPorts = { hkp: nHkp, recon: nRecon };
  await startFakePeer(fakePort);
  [nodeA, nodeB] = await Promise.all([
    startReconNode({ label: 'nodeA', keys: [MAINTAINERS], gossipInterval: 0, messageTimeout: 6 }),
    startReconNode({ label: 'nodeB', keys: [ROLE_KEYS], gossipInterval: 1, peers: [fakePort, nRecon], messageTimeout: 6 }),
  ]);
}, 120_000);

afterAll(async () => {
  // DKS_RECON_LOG=1 prints every recon line of A and B (the reasons each hostile session left)
  if (process.env.DKS_RECON_LOG) {
    for (const n of [nodeA, nodeB]) console.log(`${n?.label}:\n${(n?.logs() ?? []).filter((l) => l.component === 'recon' && !String(l.message).includes(IDLE_REASON)).map((l) => `${l.level} ${JSON.stringify(l.message)} found=${l.found} recovered=${l.recovered}`).join('\n')}`);
  }
  await stopAllReconNodes();
  await new Promise<void>((r) => (fakePeer ? fakePeer.close(() => r()) : r()));
  await new Promise<void>((r) => (fakeHttp ? fakeHttp.close(() => r()) : r()));
});

async function expectServingHkp(node: ReconNode, fpr: string): Promise<void> {
  expect(node.running).toBe(true);
  const health = await node.get('/pks/health', 5000);
  expect([health.status, health.text.trim()]).toEqual([200, 'OK']);
  const get = await node.get(`/pks/lookup?op=get&options=mr&search=0x${fpr}`, 5000);
  expect(get.status).toBe(200);
  expect(get.text).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
}

afterEach(async () => {
  await expectServingHkp(nodeA, maintainers[0].fingerprint);
  await expectServingHkp(nodeB, roleKeys[0].fingerprint);
});

describe('node A as requester (a raw peer connects): Config refusals with SKS reason texts', () => {
  const refusals: Array<[string, Record<string, ConfigValue>, string[], string]> = [
    ['other filters', { filters: 'yminsky.dedup' }, [], 'filters do not match.\n\tlocal filters: [ yminsky.dedup yminsky.merge ]\n\tremote filters: [ yminsky.dedup ]'],
    ['mbar 6', { mbar: u32(6) }, [], 'mbar values do not match'],
    ['bitquantum 3', { bitquantum: u32(3) }, [], 'bitquantum values do not match'],
    ['no filters entry', {}, ['filters'], 'Missing entry in configdata'],
    ['no version entry', {}, ['version'], 'Missing entry in configdata'],
    ['version 0.1.4', { version: '0.1.4' }, [], 'Requires version at least 0.1.5.  0.1.4 provided '],
    ['version 1.1.6+', { version: '1.1.6+' }, [], 'Error parsing configdata: Failure("int_of_string")'],
  ];
  test.each(refusals)('%s: "failed" + reason, then the connection is closed', async (_name, over, omit, reason) => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(configFrame(fakeHttpPort, over, omit), PASSED);
      await raw.expectFrame(MSG.Config);
      expect(await raw.status()).toEqual({ passed: false, reason });
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, reason);
    raw.destroy();
  });

  test('no "http port" entry: the config passes SKS\'s checks, then the session ends (nowhere to fetch from)', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(configFrame(fakeHttpPort, {}, ['http port']), PASSED);
      await raw.expectFrame(MSG.Config);
      expect(await raw.status()).toEqual({ passed: true });
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, 'no http port');
    raw.destroy();
  });

  test('the peer refuses our Config ("failed" + reason): the reason is logged', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(configFrame(fakeHttpPort), failed('sync not available, currently mutating'));
      await raw.expectFrame(MSG.Config);
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, 'sync not available, currently mutating');
    raw.destroy();
  });
});

describe('a node started with --hkp 127.0.0.1:0 (the kernel picks the HKP port)', () => {
  let nodeC: ReconNode;
  beforeAll(async () => {
    nodeC = await startReconNode({ label: 'nodeC', keys: [ROLE_KEYS], hkpPort: 0, gossipInterval: 0 });
  }, 60_000);
  afterAll(() => nodeC?.destroy());

  test('its recon Config advertises the port HKP really listens on (peers fetch keys there)', async () => {
    expect(nodeC.hkpFlagPort).toBe(0);
    const raw = await Raw.connect(nodeC.reconPort);
    try {
      // the acceptor answers the initiator's Config with its own (docs/recon-policies.md)
      raw.write(configFrame(fakeHttpPort));
      const config = parseConfigPayload((await raw.expectFrame(MSG.Config)).payload);
      expect(config.get('http port')?.length).toBe(4);
      expect(config.get('http port')!.readUInt32BE(0)).toBe(nodeC.hkpPort);
    } finally {
      raw.destroy();
    }
  });
});

describe('node A as requester: malformed bytes', () => {
  test('an HTTP request instead of recon: closed without a Config, "frame length" in the log', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(Buffer.from('GET /pks/lookup?op=stats HTTP/1.0\r\n\r\n'));
      expect(await raw.closedWithin(5000)).toBe(true);
      expect(raw.received).toBe(0);
    });
    expectFailure(line, /frame length 1195725856/);
    raw.destroy();
  });

  test('4 KiB of random bytes: closed, with a reason', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(randomBytes(4096));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /failed: .+/);
    raw.destroy();
  });

  test('a frame length of 2^32-1 before the Config: closed at once, nothing buffered for it', async () => {
    const t0 = Date.now();
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(Buffer.from('ffffffff0a00000005', 'hex'));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expect(Date.now() - t0).toBeLessThan(5000);
    expectFailure(line, /frame length 4294967295/);
    raw.destroy();
  });

  test('a frame length of 2^32-1 as the reply to a request: closed at once', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush();
      raw.write(Buffer.from('ffffffff02', 'hex'), randomBytes(1000));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /frame length 4294967295/);
    raw.destroy();
  });

  test.each([
    [11, 'unexpected message code 11'],
    [8, 'unexpected message code 8'],
  ])('message code %i instead of the Config: closed without a Config, "%s"', async (code, reason) => {
    const { line, raw } = await sessionWithA(async (raw) => {
      raw.write(frame(code, Buffer.from('00000000', 'hex')));
      expect(await raw.closedWithin(5000)).toBe(true);
      expect(raw.received).toBe(0);
    });
    expectFailure(line, reason);
    raw.destroy();
  });

  test.each([
    [8, 'unexpected message code 8'],
    [9, 'unexpected message code 9'],
    [200, 'unexpected message code 200'],
  ])('message code %i as the reply to a request: closed, "%s"', async (code, reason) => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      const batch = await raw.untilFlush();
      expect(batch.map((f) => NAMES[f.type])).toEqual(['Poly', 'Flush']); // 231 keys: Poly for the root
      raw.write(frame(code, str('x')));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, reason);
    raw.destroy();
  });

  test('an element that is not below p in an Elements reply: closed, named in the log', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush();
      raw.write(frame(MSG.Elements, Buffer.concat([u32(1), Buffer.alloc(17, 0xff)])));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /not below p/);
    raw.destroy();
  });

  test('an Elements reply claiming 2^32-1 elements in a 9-byte frame: closed, named in the log', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush();
      raw.write(frame(MSG.Elements, Buffer.concat([u32(0xffffffff), Buffer.from('0000', 'hex')])));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /4294967295 elements/);
    raw.destroy();
  });

  test('an element of 2^128 or more (a field element, but no MD5 hash) is ignored, never fetched; the session completes', async () => {
    const asked = hashqueries.length;
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush(); // Poly(root)
      const notAHash = Buffer.concat([Buffer.alloc(16, 0x11), Buffer.from([0x01])]); // 2^128 + ... < p
      raw.write(frame(MSG.Elements, Buffer.concat([u32(1), notAHash])));
      await raw.expectFrame(MSG.Done);
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expect(line.level).toBe('info');
    expect(line.message).toMatch(/: 0 missing here, 0 recovered$/);
    expect(hashqueries.length).toBe(asked);
    raw.destroy();
  });

  test('a known message that makes no sense as a reply (Done): closed, named in the log', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush();
      raw.write(frame(MSG.Done));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /Done/);
    raw.destroy();
  });

  test('SyncFail for a node that is a leaf here: closed, named in the log (SKS: "Syncfail received at leaf node")', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush(); // Poly(root)
      // descend with SyncFail until a request is for a leaf of A (Full with <= 50 elements;
      // the element count of a Full request for a prefix of <= 8 bits is at payload offset 9)
      let batch = await (async () => {
        raw.write(frame(MSG.SyncFail));
        return raw.untilFlush();
      })();
      for (let depth = 1; depth < 4; depth++) {
        const reqs = batch.filter((f) => f.type !== MSG.Flush);
        expect(reqs.every((f) => f.type === MSG.Full)).toBe(true);
        const leaf = reqs.findIndex((f) => f.payload.readUInt32BE(9) <= 50);
        if (leaf >= 0) {
          raw.write(...Array.from({ length: leaf }, () => elementsFrame([])), frame(MSG.SyncFail));
          break;
        }
        raw.write(...reqs.map(() => frame(MSG.SyncFail)));
        batch = await raw.untilFlush();
      }
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /SyncFail .*leaf/);
    raw.destroy();
  });
});

describe('node A as requester: the peer goes away mid-session', () => {
  test('the peer disconnects after the requests: the session fails with the reason, nothing to recover', async () => {
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush();
      raw.destroy();
    });
    expectFailure(line, /closed|reset|ECONNRESET/);
    raw.destroy();
  });

  test('partial results (MOCK peer): Elements for the first of several requests, then gone - the named keys are recovered', async () => {
    const named = nonupload.slice(0, 3).map((k) => k.hash);
    const asked = hashqueries.length;
    const { line, raw } = await sessionWithA(async (raw) => {
      await handshakeAsInitiator(raw);
      await raw.untilFlush(); // Poly(root)
      raw.write(frame(MSG.SyncFail));
      const children = await raw.untilFlush(); // Full x4 + Flush
      expect(children.length).toBe(5);
      raw.write(elementsFrame(named)); // the answer to the first child ...
      await sleep(200);
      raw.destroy(); // ... and gone with three answers outstanding
    });
    expectFailure(line, /closed|reset|ECONNRESET/, 3);
    expect(line.recovered).toBe(3);
    expect(hashqueries.slice(asked).flat().sort()).toEqual([...named].sort());
    const hashes = new Set(await nodeA.hashes());
    for (const h of named) expect(hashes.has(h)).toBe(true);
    raw.destroy();
  });
});

describe('node B as responder (it gossips to the fake peer F)', () => {
  test('F sends a Config with other filters: B answers "failed" + SKS\'s reason', async () => {
    const reason = 'filters do not match.\n\tlocal filters: [ yminsky.dedup yminsky.merge ]\n\tremote filters: [ yminsky.dedup ]';
    const { line, raw } = await sessionWithB(async (raw) => {
      raw.write(configFrame(fakeHttpPort, { filters: 'yminsky.dedup' }), PASSED);
      await raw.expectFrame(MSG.Config);
      expect(await raw.status()).toEqual({ passed: false, reason });
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, reason);
    raw.destroy();
  });

  // B's responder answers prefixes below its leaves from the true sub-prefix and a Poly it cannot
  // decode with SyncFail, never FullElements (docs/recon.md §7, §13)
  /** does the hash (32 hex) lie under the prefix ('0'/'1' characters)? */
  const under = (bits: string, hash: string): boolean => BigInt(`0x${hash}`).toString(2).padStart(128, '0').startsWith(bits);
  /** the 2-bit prefix holding most of B's 6 keys (at least 2), and those hashes */
  const busiestQuadrant = (): { bits: string; hashes: string[] } => {
    const quadrants = ['00', '01', '10', '11'].map((bits) => ({ bits, hashes: roleKeys.map((k) => k.hash).filter((h) => under(bits, h)) }));
    return quadrants.sort((a, b) => b.hashes.length - a.hashes.length)[0];
  };
  /** an Elements payload's hashes (32 hex each) */
  const elementsOf = (f: Frame): string[] => Array.from({ length: f.payload.readUInt32BE(0) }, (_, i) => f.payload.subarray(4 + 17 * i, 4 + 17 * i + 16).toString('hex'));

  test('ReconRqstFull for a prefix below B\'s root leaf: Elements with B\'s keys under it that F lacks, and the session completes', async () => {
    const q = busiestQuadrant();
    expect(q.hashes.length).toBeGreaterThanOrEqual(2);
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(fullRequest(q.bits, [q.hashes[0]]), frame(MSG.Flush));
      const reply = await raw.expectFrame(MSG.Elements);
      expect(elementsOf(reply).sort()).toEqual(q.hashes.slice(1).sort());
      raw.write(frame(MSG.Done));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expect(line.level).toBe('info');
    expect(line.message).toMatch(/: 0 missing here, 0 recovered$/);
    raw.destroy();
  });

  test('ReconRqstPoly that does not decode, at B\'s root leaf and below it: SyncFail (not FullElements), then the children answered from the true sub-prefix', async () => {
    const q = busiestQuadrant();
    const children = ['00', '01', '10', '11'].map((c) => q.bits + c);
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(polyRequest('', 200), frame(MSG.Flush)); // SKS's rule: FullElements (a leaf)
      await raw.expectFrame(MSG.SyncFail);
      raw.write(polyRequest(q.bits, 200), frame(MSG.Flush));
      await raw.expectFrame(MSG.SyncFail);
      raw.write(...children.map((c) => fullRequest(c)), frame(MSG.Flush));
      for (const c of children) expect(elementsOf(await raw.expectFrame(MSG.Elements)).sort()).toEqual(q.hashes.filter((h) => under(c, h)).sort());
      raw.write(frame(MSG.Done));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expect(line.level).toBe('info');
    expect(line.message).toMatch(/: 0 missing here, 0 recovered$/);
    raw.destroy();
  });

  test('ReconRqstFull for a prefix longer than a hash (130 bits): Error with SKS\'s text, then closed', async () => {
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(fullRequest('0'.repeat(130)), frame(MSG.Flush));
      const err = await raw.expectFrame(MSG.Error);
      expect(err.payload.subarray(4).toString('utf8')).toBe('server should never received request for non-existant node (ReconRqst_Full)');
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /ReconRqst_Full/);
    raw.destroy();
  });

  test('ReconRqstPoly for an odd-length prefix (no level of any tree): Error with SKS\'s text, then closed', async () => {
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(polyRequest('011', 200), frame(MSG.Flush));
      const err = await raw.expectFrame(MSG.Error);
      expect(err.payload.subarray(4).toString('utf8')).toBe('server should never receive request for non-existant node (ReconRqst_Poly)');
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /ReconRqst_Poly/);
    raw.destroy();
  });

  test.each([
    [8, 'unexpected message code 8'],
    [9, 'unexpected message code 9'],
    [255, 'unexpected message code 255'],
  ])('message code %i as a request: closed, "%s"', async (code, reason) => {
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(frame(code, str('x')));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, reason);
    raw.destroy();
  });

  test('a frame length of 2^32-1 as a request: closed at once', async () => {
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.write(Buffer.from('ffffffff00', 'hex'), randomBytes(1000));
      expect(await raw.closedWithin(5000)).toBe(true);
    });
    expectFailure(line, /frame length 4294967295/);
    raw.destroy();
  });

  test('F disconnects right after the Config exchange: the session fails with the reason', async () => {
    const { line } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      raw.destroy();
    });
    expectFailure(line, /closed|reset|ECONNRESET/);
  });

  test('partial results (MOCK peer): F names elements, then disconnects - B recovers them', async () => {
    const named = nonupload.slice(3, 6).map((k) => k.hash);
    const asked = hashqueries.length;
    const { line, raw } = await sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      // a requester sends Elements after a FullElements reply; a responder takes them at any time
      raw.write(fullRequest(''), frame(MSG.Flush)); // B answers Elements(its 6 keys)
      const reply = await raw.expectFrame(MSG.Elements);
      expect(reply.payload.readUInt32BE(0)).toBe(6);
      raw.write(elementsFrame(named));
      await sleep(200);
      raw.destroy(); // no Done
    });
    expectFailure(line, /closed|reset|ECONNRESET/, 3);
    expect(line.recovered).toBe(3);
    expect(hashqueries.slice(asked).flat().sort()).toEqual([...named].sort());
    const hashes = new Set(await nodeB.hashes());
    for (const h of named) expect(hashes.has(h)).toBe(true);
    raw.destroy();
  });
});

describe('stalled peers (both roles at once; A and B wait 6 s per recon message)', () => {
  test('a peer that sends Config + "passed" and then nothing (A) or a trickle (B): the session times out, HKP keeps serving, the busy node refuses other recon', async () => {
    const t0 = Date.now();
    // A as requester: we read its requests and never answer
    const markA = nodeA.mark();
    const rawA = await Raw.connect(nodeA.reconPort);
    await handshakeAsInitiator(rawA);
    await rawA.untilFlush();
    // B as responder: F completes the Config exchange, then trickles a request one byte every
    // second - bytes that arrive must not extend the deadline of the message
    let trickle: NodeJS.Timeout | undefined;
    const stallB = sessionWithB(async (raw) => {
      await handshakeAsAcceptor(raw);
      const bytes = fullRequest('', []);
      let i = 0;
      trickle = setInterval(() => (i < bytes.length ? raw.write(bytes.subarray(i, ++i)) : undefined), 1000);
    });
    // meanwhile: HKP answers, and a second recon connection to the busy A is closed without a byte
    await sleep(2000);
    await expectServingHkp(nodeA, maintainers[1].fingerprint);
    await expectServingHkp(nodeB, roleKeys[1].fingerprint);
    const second = await Raw.connect(nodeA.reconPort);
    expect(await second.closedWithin(5000)).toBe(true);
    expect(second.received).toBe(0);
    const lineA = await nodeA.waitForLog((l) => l.component === 'recon' && /^recon from /.test(l.message), 90_000, markA);
    const { line: lineB, raw: rawB } = await stallB;
    clearInterval(trickle);
    const ms = Date.now() - t0;
    expectFailure(lineA, /within 6 s/);
    expectFailure(lineB, /within 6 s/);
    expect(ms).toBeLessThan(30_000);
    expect(await rawA.closedWithin(5000)).toBe(true);
    expect(await rawB.closedWithin(5000)).toBe(true);
    rawA.destroy();
    rawB.destroy();
  }, 120_000);
});

describe('afterwards: normal recon with another dkeyserv node', () => {
  let nodeN: ReconNode;

  test('node N (role keys + nonupload, gossiping to A and B) and A and B converge to the union', async () => {
    const markA = nodeA.mark();
    const markB = nodeB.mark();
    nodeN = await startReconNode({ label: 'nodeN', keys: [ROLE_KEYS, NONUPLOAD], hkpPort: nPorts.hkp, reconPort: nPorts.recon, gossipInterval: 1, peers: [nodeA.reconPort, nodeB.reconPort] });
    const union = new Set([...maintainers, ...roleKeys, ...nonupload].map((k) => k.hash));
    await waitUntil(
      async () => {
        const sets = await Promise.all([nodeA, nodeB, nodeN].map((n) => n.hashes()));
        return sets.every((s) => s.length === union.size && s.every((h) => union.has(h))) || sets.map((s) => s.length).join('/');
      },
      { timeoutMs: 90_000, intervalMs: 500, what: `A, B and N hold the ${union.size} keys` },
    );
    // A completed sessions as requester, B as requester or responder, each without error
    expect(nodeA.reconLogs(/^recon from .*: \d+ missing here, \d+ recovered$/, markA).filter((l) => l.level === 'info' && Number(l.recovered) > 0).length).toBeGreaterThan(0);
    expect(
      nodeB
        .logs(markB)
        .filter((l) => l.component === 'recon' && l.level === 'info' && /missing here/.test(l.message) && Number(l.recovered) > 0 && l.peer !== `127.0.0.1:${fakePort}`).length,
    ).toBeGreaterThan(0);
    await expectServingHkp(nodeN, nonupload[10].fingerprint);
  }, 150_000);

  test('no node crashed or logged an internal error', () => {
    for (const n of [nodeA, nodeB, nodeN]) {
      expect(n.running).toBe(true);
      expect(n.stderr()).not.toMatch(/internal error|Uncaught|UnhandledPromiseRejection|TypeError|RangeError/);
    }
  });
});
