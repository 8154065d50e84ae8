/**
 * Hostile HTTP against a running `dkeyserv serve` (debian-keyring.gpg imported): oversized and
 * malformed requests, bad bodies for /pks/add and /pks/hashquery, slow clients.  Every answer
 * must be a 4xx with a one-line text/plain reason (no stack trace, no HTML), never a 5xx; the
 * server must keep answering other clients, keep its memory bounded, and serve a normal lookup
 * at the end.  Requests are written on raw sockets, so nothing in a client library fixes them.
 * Only loopback is used.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { GpgHome } from '../helpers/gpg';
import { httpGet, RunningDkeyserv, startServer, stopAllServers } from '../helpers/server';
import { keysOf } from '../helpers/sks';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
const RSS_LIMIT_KB = 300 * 1024;

let srv: RunningDkeyserv;
let fpr: string; // a key the server serves
const rss: Record<string, number> = {};
const anon: Record<string, number> = {};

beforeAll(async () => {
  srv = await startServer({ keys: [KEYRING] });
  rss.start = srv.rssKb();
  anon.start = srv.rssAnonKb();
  for (const k of keysOf(KEYRING).values()) {
    const r = await httpGet(srv.port, `/pks/lookup?op=get&options=mr&search=0x${k.fingerprint}`);
    if (r.status === 200) {
      fpr = k.fingerprint.toUpperCase();
      break;
    }
  }
  expect(fpr).toBeDefined();
}, 120_000);

afterAll(async () => {
  console.log(`dkeyserv VmRSS (kB): ${Object.entries(rss).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`dkeyserv RssAnon, all processes (kB): ${Object.entries(anon).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  await stopAllServers();
});

// ---------------------------------------------------------------------------------------------
// a raw HTTP client

interface RawResponse {
  /** 0 when no response came */
  status: number;
  headers: Record<string, string>;
  body: string;
  /** everything the server sent */
  raw: string;
  /** the server closed the connection (FIN or RST) before our deadline */
  closedByServer: boolean;
  /** socket error seen (EPIPE/ECONNRESET are expected when the server cuts an upload short) */
  error?: string;
  /** ms from connect to the first response byte / to the close */
  firstByteMs?: number;
  closedMs: number;
}

interface RawOptions {
  /** written after `head`, in chunks */
  body?: Buffer;
  /** wait up to this long for a response to the head alone before writing the body */
  answerBeforeBodyMs?: number;
  chunkBytes?: number;
  /** after the head and body: write `trickle` every `trickleMs` until the server closes */
  trickle?: string;
  trickleMs?: number;
  /** give up (and destroy the socket) after this long */
  deadlineMs?: number;
  /** resolve as soon as one complete response has arrived (keep-alive connections) */
  firstResponseOnly?: boolean;
}

function parseResponse(raw: Buffer): { status: number; headers: Record<string, string>; body: string; complete: boolean } {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: '', complete: false };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const rest = raw.subarray(end + 4);
  const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const bodyBuf = len !== undefined ? rest.subarray(0, len) : rest;
  return { status, headers, body: bodyBuf.toString('utf8'), complete: len !== undefined && rest.length >= len };
}

function raw(head: string, opts: RawOptions = {}): Promise<RawResponse> {
  const deadlineMs = opts.deadlineMs ?? 20_000;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const chunks: Buffer[] = [];
    let error: string | undefined;
    let firstByteMs: number | undefined;
    let trickleTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let closedByServer = false;
    const s = net.connect(srv.port, '127.0.0.1');
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearInterval(trickleTimer);
      const all = Buffer.concat(chunks);
      const p = parseResponse(all);
      resolve({ status: p.status, headers: p.headers, body: p.body, raw: all.toString('latin1'), closedByServer, error, firstByteMs, closedMs: Date.now() - t0 });
      s.destroy();
    };
    const deadline = setTimeout(finish, deadlineMs);
    let answered: () => void = () => undefined;
    const answer = new Promise<void>((r) => (answered = r));
    s.on('data', (d: Buffer) => {
      firstByteMs ??= Date.now() - t0;
      answered();
      chunks.push(d);
      if (opts.firstResponseOnly && parseResponse(Buffer.concat(chunks)).complete) finish();
    });
    s.on('error', (e: NodeJS.ErrnoException) => {
      error ??= e.code ?? e.message;
    });
    s.on('close', () => {
      closedByServer = !settled;
      finish();
    });
    s.on('connect', async () => {
      s.write(head);
      if (opts.answerBeforeBodyMs) await Promise.race([answer, new Promise((r) => setTimeout(r, opts.answerBeforeBodyMs))]);
      if (opts.body) {
        const step = opts.chunkBytes ?? 64 * 1024;
        for (let i = 0; i < opts.body.length && !s.destroyed && !settled; i += step) {
          if (!s.write(opts.body.subarray(i, i + step))) await new Promise((r) => s.once('drain', r).once('close', r));
        }
      }
      if (opts.trickle) {
        trickleTimer = setInterval(() => {
          if (!s.destroyed) s.write(opts.trickle!);
        }, opts.trickleMs ?? 1000);
      }
    });
  });
}

/** A GET on a fresh connection that the server should close after answering. */
function get(pathAndQuery: string, extraHeaders = ''): Promise<RawResponse> {
  return raw(`GET ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extraHeaders}\r\n`);
}

function post(path: string, contentType: string | undefined, body: Buffer | string, extraHeaders = ''): Promise<RawResponse> {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  const ct = contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`;
  return raw(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${ct}Content-Length: ${b.length}\r\n${extraHeaders}\r\n`, { body: b });
}

/** What every refusal must look like: the status, text/plain, one short line, no stack trace, no HTML. */
function expectReason(r: RawResponse, statuses: readonly number[], what: string): void {
  const show = `${what}: ${r.status} ${JSON.stringify(r.raw.slice(0, 400))}`;
  expect({ what, status: r.status, ok: statuses.includes(r.status) }).toEqual({ what, status: r.status, ok: true });
  expect({ what, contentType: r.headers['content-type'] ?? '(none)' }).toEqual({ what, contentType: expect.stringMatching(/^text\/plain/) });
  const lines = r.body.replace(/\r?\n$/, '').split('\n');
  if (lines.length !== 1 || lines[0].length === 0 || lines[0].length > 300) throw new Error(`not a one-line reason: ${show}`);
  if (/<html|<!doctype|<body/i.test(r.body)) throw new Error(`HTML in the reason: ${show}`);
  if (/\bat .+:\d+:\d+\)?|Error: |node:internal|\/src\/|\.ts:\d/.test(r.body)) throw new Error(`stack trace or internals in the reason: ${show}`);
}

function packet(tag: number, body: Buffer): Buffer {
  const hdr = Buffer.from([0xc0 | tag, 0xff, 0, 0, 0, 0]);
  hdr.writeUInt32BE(body.length, 2);
  return Buffer.concat([hdr, body]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

// ---------------------------------------------------------------------------------------------

describe('oversized and malformed lookups', () => {
  test('a 100 KB URL is refused (414/431/400), not a crash', async () => {
    const r = await get(`/pks/lookup?op=get&options=mr&search=${'a'.repeat(100_000)}`);
    expect([400, 414, 431]).toContain(r.status);
    // and the same as gpg would send it (HTTP/1.0, no Connection header)
    const r10 = await raw(`GET /pks/lookup?op=index&options=mr&search=${'0x'.repeat(50_000)} HTTP/1.0\r\n\r\n`);
    expect([400, 414, 431]).toContain(r10.status);
  });

  test('a 20 KB header and 3000 headers', async () => {
    const big = await get('/pks/lookup?op=stats&options=mr', `X-Big: ${'b'.repeat(20_000)}\r\n`);
    expect([400, 431]).toContain(big.status);
    const many = await get(`/pks/lookup?op=get&options=mr&search=0x${fpr}`, Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${i}\r\n`).join(''));
    // under the 16 KB header budget or not: refused, or answered normally; never a 5xx
    expect([200, 400, 431]).toContain(many.status);
  });

  test('long but under the header limit: the search length and parameter count limits answer', async () => {
    expectReason(await get(`/pks/lookup?op=get&options=mr&search=${'x'.repeat(12_000)}`), [400], 'search of 12,000 characters');
    expectReason(await get(`/pks/lookup?op=get&options=mr&search=0x${'A'.repeat(600)}`), [400], '0x + 600 hex digits');
    expectReason(await get(`/pks/lookup?op=get&options=mr&search=x${'&a=b'.repeat(1000)}`), [400], '1000 parameters');
    expectReason(await get(`/pks/lookup?op=index&options=mr&search=${Array.from({ length: 40 }, (_, i) => `word${i}`).join('+')}`), [400], '40 words');
  });

  test.each([
    ['missing search', '/pks/lookup?op=get&options=mr', [400]],
    ['empty search', '/pks/lookup?op=get&options=mr&search=', [400]],
    ['blank search', '/pks/lookup?op=get&options=mr&search=+++', [400]],
    ['unknown op', '/pks/lookup?op=frobnicate&options=mr&search=0x' + 'A'.repeat(40), [400, 501]],
    ['op that is 5 KB long', `/pks/lookup?op=${'x'.repeat(5000)}&options=mr&search=a`, [400, 501]],
    ['bad percent-encoding %zz', '/pks/lookup?op=get&options=mr&search=%zz', [400]],
    ['a lone %', '/pks/lookup?op=get&options=mr&search=%', [400]],
    ['truncated %4', '/pks/lookup?op=get&options=mr&search=abc%4', [400]],
    ['invalid UTF-8 %C3%28', '/pks/lookup?op=get&options=mr&search=%C3%28', [400]],
    ['overlong UTF-8 %C0%AF', '/pks/lookup?op=get&options=mr&search=%C0%AF', [400]],
    ['bad encoding in a parameter name', '/pks/lookup?op=get&options=mr&%zz=1&search=0x' + 'A'.repeat(40), [400]],
    ['a NUL byte', '/pks/lookup?op=get&options=mr&search=%00', [400, 404]],
    ['only separators', '/pks/lookup?&&&=&==&options=mr&', [400]],
    ['short hex without 0x is a word search', '/pks/lookup?op=index&options=mr&search=0xZZZZ', [400, 404]],
    ['0x + 9 hex digits', '/pks/lookup?op=get&options=mr&search=0x123456789', [400]],
    ['v3 fingerprint (32 hex)', '/pks/lookup?op=get&options=mr&search=0x' + 'AB'.repeat(16), [400, 404, 501]],
    ['hget with a bad hash', '/pks/lookup?op=hget&options=mr&search=xyz', [400]],
    ['hget with a 33-digit hash', '/pks/lookup?op=hget&options=mr&search=' + 'A'.repeat(33), [400]],
    ['one-letter words only', '/pks/lookup?op=index&options=mr&search=a+b+c', [400]],
    ['a word matching more keys than maxResults', '/pks/lookup?op=index&options=mr&search=org', [400, 404, 413, 422]],
    ['nothing found', '/pks/lookup?op=get&options=mr&search=0x' + '0123456789ABCDEF'.repeat(2) + '01234567', [404]],
    ['no such page', '/pks/../../etc/passwd', [400, 404]],
    ['no such key page', '/key/' + 'Z'.repeat(40), [404]],
  ] as const)('%s: a 4xx with a one-line reason', async (what, url, statuses) => {
    expectReason(await get(url), statuses, what);
  });

  test('wrong methods: 405 with a reason', async () => {
    expectReason(await post('/pks/lookup?op=get&search=0x' + fpr, 'text/plain', 'x'), [405], 'POST /pks/lookup');
    expectReason(await get('/pks/add'), [405], 'GET /pks/add');
    expectReason(await get('/pks/hashquery'), [405], 'GET /pks/hashquery');
    const del = await raw(`DELETE /pks/lookup?op=get&search=0x${fpr} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expectReason(del, [405], 'DELETE /pks/lookup');
  });

  test('broken HTTP framing is refused by the HTTP layer (400), never a 5xx', async () => {
    const cases: Array<[string, string]> = [
      ['garbage request line', 'GARBAGE\r\n\r\n'],
      ['unknown HTTP version', 'GET /pks/health HTTP/7.3\r\nHost: x\r\n\r\n'],
      ['Content-Length: abc', 'POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'],
      ['two Content-Lengths', 'POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
      ['Content-Length and chunked', 'POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
      ['bad chunk size', 'POST /pks/add HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
      ['space in a header name', 'GET /pks/health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n'],
      ['NUL in the URL', 'GET /pks/lookup?op=get&search=\0 HTTP/1.1\r\nHost: x\r\n\r\n'],
    ];
    for (const [what, req] of cases) {
      const r = await raw(req, { deadlineMs: 5000 });
      expect({ what, status: r.status }).toEqual({ what, status: 400 });
    }
  });
});

describe('bodies: /pks/add and /pks/hashquery', () => {
  let secretKey: string;
  let noSelfSig: Buffer;
  let badSelfSig: Buffer;

  beforeAll(() => {
    const h = new GpgHome('', 'dks-hostile-');
    try {
      const f = h.genKey('Hostile Test <hostile@example.invalid>', 'ed25519', 'sign');
      secretKey = h.secret(['--armor', '--export-secret-keys', f]).toString('utf8');
      // the public key without its self-signature, and with it broken
      const pub = keysOf(writeTemp(h, h.exportKey(f))).values().next().value!;
      noSelfSig = Buffer.concat(pub.packets.filter((p) => p.tag !== 2).map((p) => packet(p.tag, p.body)));
      badSelfSig = Buffer.concat(
        pub.packets.map((p) => {
          if (p.tag !== 2) return packet(p.tag, p.body);
          const b = Buffer.from(p.body);
          b[b.length - 5] ^= 0x55; // inside the EdDSA signature value
          return packet(p.tag, b);
        }),
      );
    } finally {
      h.cleanup();
    }
  });

  /*
   * An upload the server refuses is answered before the client has sent it all; when the server
   * then closes with unread data in its receive buffer, the kernel sends a TCP RST, and a client
   * still writing may lose the 413 (RFC 9112 §9.6, "lingering close").  So these clients write in
   * an order that cannot lose the answer: the head first when the declared length alone is over
   * the limit, and for chunked bodies exactly up to the limit, nothing the server does not read.
   */
  test('a 10 MB POST /pks/add is refused with 413, and the server still answers', async () => {
    const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const declared = await raw(
      `POST /pks/add HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${tenMb.length}\r\n\r\n`,
      { body: tenMb, answerBeforeBodyMs: 5000 },
    );
    expectReason(declared, [413], '10 MB with Content-Length');
    // chunked: no declared length, refused once the limit is passed; 81 chunks of 64 KB pass the
    // 5 MiB default by one, and the last one's CRLF is left out so the server reads every byte
    const chunks: Buffer[] = [];
    for (let i = 0; i < 81; i++) chunks.push(Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from(i < 80 ? '\r\n' : ''));
    const chunked = await raw('POST /pks/add HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/pgp-keys\r\nTransfer-Encoding: chunked\r\n\r\n', {
      body: Buffer.concat(chunks),
    });
    expectReason(chunked, [413], '10 MB chunked');
    const hq = await raw(`POST /pks/hashquery HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${tenMb.length}\r\n\r\n`, {
      body: tenMb,
      answerBeforeBodyMs: 5000,
    });
    expectReason(hq, [413], '10 MB hashquery');
    const after = await httpGet(srv.port, `/pks/lookup?op=get&options=mr&search=0x${fpr}`);
    expect(after.status).toBe(200);
    rss.afterBigBodies = srv.rssKb();
    anon.afterBigBodies = srv.rssAnonKb();
  }, 60_000);

  test('a client streaming a 10 MB upload (no pause for an early answer) still reads the 413', async () => {
    // what curl and most HTTP clients do: write the body until the server stops them.  A server
    // that closes at once with unread data resets the connection and the 413 is lost; a lingering
    // close (answer, FIN, discard what still arrives for a moment) delivers it.  10 tries: all
    // must see the 413 (measured before any fix: ~80 % of such uploads lost it, EPIPE/no answer).
    const tenMb = Buffer.alloc(10 * 1024 * 1024, 0x61);
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await raw(
        `POST /pks/add HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${tenMb.length}\r\n\r\n`,
        { body: tenMb },
      );
      seen.push(r.status ? String(r.status) : `no answer (${r.error ?? 'closed'})`);
    }
    expect(seen).toEqual(Array(10).fill('413'));
  }, 60_000);

  test('POST /pks/hashquery with a count of 2^31: 400', async () => {
    expectReason(await post('/pks/hashquery', 'sks/hashquery', u32(2 ** 31)), [400], 'count 2^31');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(2 ** 31), u32(16), Buffer.alloc(16)])), [400], 'count 2^31 with one hash');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', u32(0xffffffff)), [400], 'count 2^32-1');
  });

  test('POST /pks/hashquery truncated or malformed: 400', async () => {
    const h = createHash('md5').update('x').digest();
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(2), u32(16), h])), [400], 'count 2, one hash');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(1), u32(16), h.subarray(0, 7)])), [400], 'hash cut short');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.from([0, 0])), [400], 'half a count');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.alloc(0)), [400], 'empty body');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(1), u32(17), h, Buffer.from([0])])), [400], 'length 17');
    expectReason(await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(1), u32(0xfffffff0), h])), [400], 'length 2^32-16');
    // a well-formed query for an unknown hash is fine: zero keys
    const ok = await post('/pks/hashquery', 'sks/hashquery', Buffer.concat([u32(1), u32(16), h]));
    expect(ok.status).toBe(200);
  });

  test.each([
    ['garbage form', 'application/x-www-form-urlencoded', 'keytext=garbage', [422]],
    ['garbage raw body', 'application/pgp-keys', 'this is not a key', [422]],
    ['garbage binary', 'application/octet-stream', '\x99\x01\x00garbage', [422]],
    ['garbage armor', 'application/pgp-keys', '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----\n', [422]],
    ['form without keytext', 'application/x-www-form-urlencoded', 'foo=bar', [400]],
    ['form with bad percent-encoding', 'application/x-www-form-urlencoded', 'keytext=%zz', [400, 422]],
    ['empty form body', 'application/x-www-form-urlencoded', '', [400]],
    ['empty raw body', 'application/pgp-keys', '', [400]],
    ['no Content-Type, empty', undefined, '', [400]],
    ['a content type that is not accepted', 'image/png', '\x89PNG', [415]],
    ['a 1 GB length field', 'application/octet-stream', '\xc6\xff\x40\x00\x00\x00\x04', [422]],
  ] as const)('/pks/add with %s: a 4xx with a one-line reason', async (what, type, body, statuses) => {
    expectReason(await post('/pks/add', type, body), statuses, what);
  });

  test('/pks/add with a secret key: 422', async () => {
    expectReason(await post('/pks/add', 'application/pgp-keys', secretKey), [422], 'armored secret key');
    expectReason(await post('/pks/add', 'application/x-www-form-urlencoded', `keytext=${encodeURIComponent(secretKey)}`), [422], 'secret key in a form');
  });

  test('/pks/add with a key without any self-signature: 422', async () => {
    expectReason(await post('/pks/add', 'application/octet-stream', noSelfSig), [422], 'key whose User ID has no self-signature');
  });

  test('/pks/add with a key whose only self-signature does not verify: 422', async () => {
    expectReason(await post('/pks/add', 'application/octet-stream', badSelfSig), [422], 'key whose only self-signature is broken');
  });
});

// ---------------------------------------------------------------------------------------------

describe('slow clients', () => {
  /**
   * Every slow client runs at once, with normal lookups alongside; each is given up after
   * GIVE_UP_MS.  Node cuts unfinished headers after headersTimeout (15 s) but only checks every
   * connectionsCheckingInterval (30 s), so 15–45 s; the app's body timer is 30 s.
   */
  const GIVE_UP_MS = 50_000;
  const results: Record<string, RawResponse> = {};
  let idleClosedByServer = 0;
  const lookups: Array<{ ms: number; status: number }> = [];

  beforeAll(async () => {
    const started = Date.now();
    const idle = Array.from({ length: 200 }, () => raw('', { deadlineMs: GIVE_UP_MS }));
    const slow = {
      nothing: raw('', { deadlineMs: GIVE_UP_MS }),
      headersStop: raw('GET /pks/lookup?op=stats&options=mr HTTP/1.1\r\nHost: x\r\n', { deadlineMs: GIVE_UP_MS }),
      headersTrickle: raw('GET /pks/lookup?op=stats&options=mr HTTP/1.1\r\nHost: x\r\nX-Slow: ', { trickle: 'a', trickleMs: 1000, deadlineMs: GIVE_UP_MS }),
      bodyStop: raw('POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Type: application/pgp-keys\r\nContent-Length: 1000\r\n\r\nabc', { deadlineMs: GIVE_UP_MS }),
      bodyTrickle: raw('POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Type: application/pgp-keys\r\nContent-Length: 100000\r\n\r\nabc', {
        trickle: 'a',
        trickleMs: 500,
        deadlineMs: GIVE_UP_MS,
      }),
      hashqueryStop: raw('POST /pks/hashquery HTTP/1.1\r\nHost: x\r\nContent-Length: 24\r\n\r\n\0\0\0\x01', { deadlineMs: GIVE_UP_MS }),
      // over the body limit, then on and on (chunked, keep-alive): 413, then?
      overLimitStream: raw('POST /pks/add HTTP/1.1\r\nHost: x\r\nContent-Type: application/pgp-keys\r\nTransfer-Encoding: chunked\r\n\r\n', {
        body: Buffer.concat(Array.from({ length: 96 }, () => Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(0x10000, 0x61), Buffer.from('\r\n')]))),
        trickle: `10000\r\n${'a'.repeat(0x10000)}\r\n`,
        trickleMs: 100,
        deadlineMs: GIVE_UP_MS,
      }),
    };
    // normal lookups every 500 ms while the slow clients hang on
    while (Date.now() - started < 40_000) {
      const t = Date.now();
      const r = await httpGet(srv.port, `/pks/lookup?op=get&options=mr&search=0x${fpr}`, 10_000).catch(() => ({ status: 0 }));
      lookups.push({ ms: Date.now() - t, status: r.status });
      await new Promise((res) => setTimeout(res, 500));
    }
    rss.duringSlowClients = srv.rssKb();
    anon.duringSlowClients = srv.rssAnonKb();
    for (const [k, p] of Object.entries(slow)) results[k] = await p;
    console.log(
      ['slow clients (ms from connect):', ...Object.entries(results).map(([k, r]) => `  ${k}: status ${r.status || '-'} ${r.headers.connection ? `(Connection: ${r.headers.connection}) ` : ''}first byte ${r.firstByteMs ?? '-'}, ${r.closedByServer ? `closed by the server at ${r.closedMs}` : `still open at ${r.closedMs} (given up)`}`)].join('\n'),
    );
    idleClosedByServer = (await Promise.all(idle)).filter((r) => r.closedByServer).length;
  }, 120_000);

  test('other clients are served meanwhile, quickly', () => {
    expect(lookups.length).toBeGreaterThan(30);
    expect(lookups.filter((l) => l.status !== 200)).toEqual([]);
    expect(Math.max(...lookups.map((l) => l.ms))).toBeLessThan(2000);
  });

  test('unfinished headers are cut off by the server (408 or a close) within 45 s', () => {
    for (const k of ['nothing', 'headersStop', 'headersTrickle'] as const) {
      const r = results[k];
      expect({ k, closedByServer: r.closedByServer, within45s: r.closedMs < 46_000 }).toEqual({ k, closedByServer: true, within45s: true });
      expect({ k, status: r.status === 0 || r.status === 408 }).toEqual({ k, status: true });
    }
    // and 200 idle connections were all closed by the server too
    expect(idleClosedByServer).toBe(200);
  });

  test('a body that stops or trickles gets 408 with a reason within the 30 s body timeout', () => {
    for (const k of ['bodyStop', 'bodyTrickle', 'hashqueryStop'] as const) {
      const r = results[k];
      expectReason(r, [408], k);
      expect({ k, firstByteMs: (r.firstByteMs ?? Infinity) < 35_000 }).toEqual({ k, firstByteMs: true });
    }
    expectReason(results.overLimitStream, [413], 'overLimitStream');
  });

  test('after a 408 or 413 the server closes the connection instead of reading on', () => {
    // a client that keeps sending must not hold the connection (and a socket slot, and
    // bandwidth) after the refusal: the answer should say Connection: close and the server
    // should close at once
    for (const k of ['bodyStop', 'bodyTrickle', 'overLimitStream'] as const) {
      const r = results[k];
      expect({ k, connection: r.headers.connection }).toEqual({ k, connection: 'close' });
      expect({ k, closedSoonAfter408: r.closedByServer && r.closedMs - (r.firstByteMs ?? 0) < 5_000 }).toEqual({ k, closedSoonAfter408: true });
    }
  });

  test('errors the HTTP parser answers itself (408, 431, 400) carry a one-line text/plain reason too', async () => {
    expectReason(results.headersStop, [408], 'headers timeout');
    expectReason(await get(`/pks/lookup?op=get&options=mr&search=${'a'.repeat(100_000)}`), [414, 431], '100 KB URL');
    expectReason(await raw('GARBAGE\r\n\r\n', { deadlineMs: 5000 }), [400], 'garbage request line');
  });
});

// ---------------------------------------------------------------------------------------------

describe('afterwards', () => {
  test('the server is still up, logged no internal error, and its RSS stayed bounded', async () => {
    expect(srv.running).toBe(true);
    const r = await httpGet(srv.port, `/pks/lookup?op=get&options=mr&search=0x${fpr}`);
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const idx = await httpGet(srv.port, `/pks/lookup?op=index&options=mr&search=0x${fpr}`);
    expect(idx.status).toBe(200);
    expect(idx.text).toMatch(new RegExp(`^pub:${fpr}:`, 'm'));
    rss.end = srv.rssKb();
    anon.end = srv.rssAnonKb();
    for (const [when, kb] of Object.entries(rss)) expect({ when, underLimit: kb < RSS_LIMIT_KB }).toEqual({ when, underLimit: true });
    // every HKP process together (docs/operations.md §12): private memory under the same bound
    for (const [when, kb] of Object.entries(anon)) expect({ when, anonUnderLimit: kb < RSS_LIMIT_KB }).toEqual({ when, anonUnderLimit: true });
    const errors = srv.stderr().split('\n').filter((l) => /"level":"error"|internal error|\n\s+at /.test(l));
    expect(errors).toEqual([]);
  });
});

function writeTemp(h: GpgHome, data: Buffer): string {
  // keysOf reads files: put the export next to the home's other files
  const file = `${h.dir}/export.gpg`;
  writeFileSync(file, data);
  return file;
}
