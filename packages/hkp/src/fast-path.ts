/**
 * The cheap path in front of koa (docs/hkp.md §10): the lookups gpg and crawlers make most —
 * `GET`/`HEAD /pks/lookup` with `op=get`, or `op=index`/`vindex` with `options=mr` — answered
 * straight on node:http from the shared response cache (routes/respond.ts), with the same status,
 * headers and body koa would send. The query string of a URL seen before is not parsed again
 * (a bounded memo by raw URL); the cached answer itself is checked against the store's change
 * sequence as in koa, so a write anywhere is seen at once. Everything else, and any request it
 * cannot answer exactly as koa would (an internal error), falls through to koa.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { CachedResponse } from './cache';
import { HttpError } from './errors';
import { ANSWER_HEADERS } from './middleware';
import { LookupQuery, parseLookupQuery } from './lookup-query';
import { RateLimiter, requestVerdict } from './ratelimit';
import { RouteEnv } from './routes/env';
import { getAnswer } from './routes/get';
import { mrIndexAnswer } from './routes/lookup-index';

const PREFIX = '/pks/lookup?';
/** what every answer carries, as koa's securityHeaders sets it (never HTML here: no page headers) */
const COMMON_HEADERS = ['Access-Control-Allow-Origin', '*', ...Object.entries(ANSWER_HEADERS).flat()];
/** longest URL remembered, and how many (a memo entry is a few hundred bytes) */
const MEMO_URL_MAX = 512;
const MEMO_ENTRIES = 20_000;

type Answer = (env: RouteEnv, q: LookupQuery) => CachedResponse;

interface Lookup {
  answer: Answer;
  q: LookupQuery;
}

export type Next = () => void;

export class FastLookup {
  /** raw URL → parsed lookup; cleared when full (a URL seen again is parsed again, nothing worse) */
  private readonly memo = new Map<string, Lookup>();
  private readonly ok: { observe(seconds: number): void };

  constructor(
    private readonly env: RouteEnv,
    private readonly limiter: RateLimiter,
  ) {
    this.ok = env.metrics.requestDuration.labels('/pks/lookup', '200');
  }

  /** Answer `req` here, or call `next` (koa) for everything this path does not take. */
  serve(req: IncomingMessage, res: ServerResponse, next: Next): void {
    const lookup = this.route(req);
    if (!lookup) return next();
    const started = process.hrtime.bigint();
    if (!this.limiter.active) return this.answer(req, res, lookup, started, next);
    // the verdict is shared with koa's rate-limit middleware: one request, one count
    requestVerdict(this.limiter, req, req.socket.remoteAddress ?? '', false).then(
      () => this.answer(req, res, lookup, started, next),
      () => next(),
    );
  }

  /** The parsed lookup of a request this path takes, or undefined. */
  private route(req: IncomingMessage): Lookup | undefined {
    const url = req.url ?? '';
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !url.startsWith(PREFIX)) return undefined;
    const known = this.memo.get(url);
    if (known) return known;
    // '#' makes koa's URL parser take another route; leave such oddities to koa
    if (url.includes('#')) return undefined;
    let q: LookupQuery;
    try {
      q = parseLookupQuery(url.slice(PREFIX.length));
    } catch {
      return undefined; // koa answers the 400
    }
    const answer = q.op === 'get' ? getAnswer : (q.op === 'index' || q.op === 'vindex') && q.mr ? mrIndexAnswer : undefined;
    if (!answer) return undefined;
    const lookup = { answer, q };
    if (url.length <= MEMO_URL_MAX) {
      if (this.memo.size >= MEMO_ENTRIES) this.memo.clear();
      this.memo.set(url, lookup);
    }
    return lookup;
  }

  private answer(req: IncomingMessage, res: ServerResponse, { answer, q }: Lookup, started: bigint, next: Next): void {
    let r: CachedResponse;
    try {
      r = answer(this.env, q);
    } catch (e) {
      // errors as middleware.ts words them for a machine answer: one line of text
      if (!(e instanceof HttpError) || e.headers.Connection) return next();
      const body = e.message + '\n';
      res.writeHead(e.status, [...COMMON_HEADERS, ...Object.entries(e.headers).flat(), 'Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body))]);
      res.end(body);
      this.env.metrics.requestDuration.observe({ route: '/pks/lookup', status: String(e.status) }, elapsed(started));
      return;
    }
    const head = [...COMMON_HEADERS, 'Content-Type', r.type];
    for (const k in r.headers) head.push(k, r.headers[k]);
    head.push('Content-Length', String(r.body.length));
    res.writeHead(200, head);
    res.end(r.body); // HEAD: node sends no body
    this.ok.observe(elapsed(started));
  }
}

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}
