/**
 * The koa application: `/pks/lookup`, `/pks/add`, `/pks/hashquery`, `/pks/health`, `/metrics`
 * and the web pages. Every error is a status with a one-line reason (text/plain, or an HTML page
 * for the pages people read); never HTML when `options=mr`, never a 502.
 */
import Koa from 'koa';
import { KeyRecord, KeyStore, Logger } from '@dkeyserv/db';
import { armor } from '@dkeyserv/pgp';
import { addKeys, keyEntries, keyMaterial, summarize } from './add-keys';
import { CachedResponse, ResponseCache } from './cache';
import { readBody } from './body';
import { lingerOnClose } from './server';
import { HttpError } from './errors';
import { encodeHashQueryResponse, parseHashQuery } from './hashquery-codec';
import { HkpMetrics } from './metrics-registry';
import { mrIndex } from './mr-index';
import { keyView, KeyView } from './model';
import { presentedBytes } from './present';
import { isOn, parseOptions, parseQuery } from './lookup-query';
import { DEFAULT_RATE_LIMITS, RateLimiter, RateLimitOptions } from './ratelimit';
import { resolveSearch } from './resolve';
import { parseSearch } from './search-term';
import { PeerView, QuorumKeyView, QuorumStatsView, ServerIdentity, Stats } from './stats-view';
import * as web from './web';

export interface HkpOptions {
  /** largest request body (POST /pks/add, /pks/hashquery), bytes */
  maxBodyBytes: number;
  /** time allowed to receive a body, ms */
  bodyTimeoutMs: number;
  /** most keys one lookup returns */
  maxResults: number;
  rateLimit: RateLimitOptions;
  identity: ServerIdentity;
}

export const DEFAULT_HKP_OPTIONS: Omit<HkpOptions, 'identity'> = {
  maxBodyBytes: 5 * 1024 * 1024,
  bodyTimeoutMs: 30_000,
  maxResults: 500,
  rateLimit: DEFAULT_RATE_LIMITS,
};

export interface HkpDeps {
  store: KeyStore;
  logger: Logger;
  options: HkpOptions;
  metrics?: HkpMetrics;
  /** recon partners' status, shown in stats */
  peers?: () => PeerView[];
  /** quorum mode (DESIGN.md §6): serve accepted versions, proofs and attestations */
  quorum?: QuorumServing;
}

/** What HKP needs of the quorum (implemented by @dkeyserv/quorum, wired by the cli). */
export interface QuorumServing {
  /** what to serve of a stored key: its accepted version, or undefined while none is */
  served(record: KeyRecord): KeyRecord | undefined;
  /** changes whenever `served` may answer differently with the same store (response cache) */
  seq(): number;
  /** `op=x-quorum`: the proof (JSON) of a key's accepted version, or undefined */
  proof(fpr: Buffer): object | undefined;
  /** `POST /pks/x-attestations`: the stored attestations (wire form) with these ids */
  attestations(ids: Buffer[]): Buffer[];
  /** the key page's quorum section */
  keyStatus(record: KeyRecord): QuorumKeyView;
  /** the stats page's quorum section */
  stats(): QuorumStatsView;
}

/** `op=` values of /pks/lookup (x-hget is SKS's alias). */
const OPS = ['get', 'index', 'vindex', 'hget', 'x-hget', 'stats', 'x-stats', 'x-quorum'];

export function createHkpApp(deps: HkpDeps): Koa {
  const { store, logger, options } = deps;
  const metrics = deps.metrics ?? new HkpMetrics();
  const limiter = new RateLimiter(options.rateLimit);
  const quorum = deps.quorum;
  const stats = new Stats(store, options.identity, deps.peers, quorum && (() => quorum.stats()));
  /** The record served for a stored one: itself, or in quorum mode its accepted version. */
  const served = (r: KeyRecord | undefined): KeyRecord | undefined => (r && quorum ? quorum.served(r) : r);
  const present = (r: KeyRecord | undefined): Buffer | undefined => {
    const s = served(r);
    return s && presentedBytes(store, s);
  };
  const cache = new ResponseCache();
  const pageCtx: web.PageContext = { nodename: options.identity.nodename, version: options.identity.version };
  const app = new Koa();
  app.proxy = false;

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    let route = 'other';
    ctx.state.html = false;
    try {
      ctx.set('Access-Control-Allow-Origin', '*');
      route = routeName(ctx.path);
      await limiter.check(ctx.ip, ctx.path === '/pks/add' && ctx.method === 'POST').catch((e) => {
        metrics.rateLimited.inc();
        throw e;
      });
      await next();
      if (ctx.body === undefined && ctx.status === 404) throw new HttpError(404, `no such page: ${ctx.path}`);
    } catch (e) {
      const err = e instanceof HttpError ? e : internal(e, logger, ctx.path);
      ctx.status = err.status;
      for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
      if (err.headers.Connection === 'close') lingerOnClose(ctx.req.socket);
      if (ctx.state.html) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = web.renderErrorPage(pageCtx, err.status, err.message);
      } else {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = err.message + '\n';
      }
    } finally {
      metrics.requestDuration.observe({ route, status: String(ctx.status) }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  });

  app.use(async (ctx) => {
    const get = ctx.method === 'GET' || ctx.method === 'HEAD';
    if (ctx.method === 'OPTIONS') {
      ctx.set('Allow', 'GET, HEAD, POST, OPTIONS');
      ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
      ctx.set('Access-Control-Allow-Headers', 'Content-Type');
      ctx.status = 204;
      return;
    }
    switch (ctx.path) {
      case '/pks/lookup':
        if (!get) throw new HttpError(405, 'use GET for /pks/lookup');
        return lookup(ctx);
      case '/pks/add':
        if (ctx.method !== 'POST') throw new HttpError(405, 'use POST for /pks/add');
        return add(ctx);
      case '/pks/hashquery':
        if (ctx.method !== 'POST') throw new HttpError(405, 'use POST for /pks/hashquery');
        return hashquery(ctx);
      case '/pks/x-attestations':
        if (ctx.method !== 'POST') throw new HttpError(405, 'use POST for /pks/x-attestations');
        return attestations(ctx);
      case '/pks/health':
        ctx.type = 'text/plain';
        ctx.body = 'OK\n';
        return;
      case '/metrics':
        ctx.type = metrics.registry.contentType;
        ctx.body = await metrics.registry.metrics();
        return;
      case '/':
        ctx.state.html = true;
        return html(ctx, web.renderSearchPage(pageCtx));
      case '/upload':
        ctx.state.html = true;
        return html(ctx, web.renderUploadPage(pageCtx));
      case '/assets/style.css':
        ctx.type = 'text/css';
        ctx.set('Cache-Control', 'max-age=3600');
        ctx.body = web.STYLESHEET;
        return;
    }
    const keyPage = /^\/key\/([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/.exec(ctx.path);
    if (keyPage && get) {
      ctx.state.html = true;
      const record = store.get(Buffer.from(keyPage[1], 'hex'));
      if (!record) throw new HttpError(404, `no key with fingerprint ${keyPage[1].toUpperCase()}`);
      const shown = served(record);
      const bytes = shown && presentedBytes(store, shown);
      // in quorum mode a pending key's page shows the stored version, marked as not served
      return html(ctx, web.renderKeyPage(pageCtx, keyView(store, shown ?? record), bytes ? armor(bytes) : undefined, quorum?.keyStatus(record)));
    }
    throw new HttpError(404, `no such page: ${ctx.path}`);
  });

  function lookup(ctx: Koa.Context) {
    const q = parseQuery(ctx.querystring);
    const op = (q.get('op') ?? 'index').toLowerCase();
    const mr = parseOptions(q.get('options')).has('mr');
    if (!OPS.includes(op)) throw new HttpError(400, `unknown op '${op.slice(0, 32)}': use get, index, vindex, hget or stats`);
    ctx.state.html = !mr && (op === 'index' || op === 'vindex' || op === 'stats' || op === 'x-stats');
    switch (op) {
      case 'stats':
      case 'x-stats': {
        const view = stats.view();
        if (mr || parseOptions(q.get('options')).has('json')) {
          ctx.type = 'application/json';
          ctx.body = JSON.stringify(view) + '\n';
        } else html(ctx, web.renderStatsPage(pageCtx, view));
        return;
      }
      case 'x-quorum': {
        if (!quorum) throw new HttpError(501, 'quorum mode is off: this server names no peer set');
        const query = parseSearch(q.get('search'));
        if (query.kind !== 'fpr') throw new HttpError(400, 'x-quorum takes search=0x<full fingerprint>');
        const proof = quorum.proof(query.value);
        if (!proof) throw new HttpError(404, `no accepted version of key ${query.value.toString('hex').toUpperCase()} (not stored, or its quorum is pending)`);
        ctx.type = 'application/json';
        ctx.body = JSON.stringify(proof) + '\n';
        return;
      }
      case 'hget':
      case 'x-hget': {
        const search = q.get('search') ?? '';
        if (!/^[0-9a-fA-F]{32}$/.test(search)) throw new HttpError(400, 'hget takes search=<32 hex digits of an SKS key hash>');
        const found = store.getByHash(Buffer.from(search, 'hex'));
        // a hash of a policy view that leaves packets out: that view, so the hash can be checked
        // (docs/recon-policies.md); otherwise the key as served
        const partial = found && !quorum && found.record.views?.[found.policy]?.drop?.length;
        const bytes = partial ? store.viewPackets(found.record, found.policy) : present(found?.record);
        if (!bytes) throw new HttpError(404, `no key with hash ${search.toLowerCase()}`);
        return sendKeys(ctx, [bytes], search.toLowerCase());
      }
    }
    const search = q.get('search');
    const exact = isOn(q.get('exact'));
    if (op === 'get' || mr) {
      // machine answers are cached until the store changes
      const key = `${op === 'vindex' ? 'index' : op}|${exact ? 1 : 0}|${(search ?? '').trim().toLowerCase()}`;
      const seq = quorum ? `${store.changeSeq()}/${quorum.seq()}` : store.changeSeq();
      let r = cache.get(key, seq);
      if (!r) {
        r = machineLookup(op, search, exact);
        cache.set(key, seq, r);
      }
      ctx.type = r.type;
      for (const [k, v] of Object.entries(r.headers)) ctx.set(k, v);
      ctx.body = r.body;
      return;
    }
    html(ctx, web.renderIndexPage(pageCtx, search ?? '', servableViews(search, exact)));
  }

  function findRecords(search: string | undefined, exact: boolean) {
    const query = parseSearch(search);
    if (exact && query.kind === 'words') throw new HttpError(404, `no key with exactly the UID ${JSON.stringify(search)}`);
    return resolveSearch(store, query, { maxResults: options.maxResults });
  }

  function servableViews(search: string | undefined, exact: boolean): KeyView[] {
    const views = findRecords(search, exact)
      .map(served)
      .filter((r): r is KeyRecord => r !== undefined)
      .map((r) => keyView(store, r))
      .filter((v) => v.servable);
    if (views.length === 0) throw new HttpError(404, `no key found for ${JSON.stringify(search)}`);
    return views;
  }

  /** `op=get` (armored keys) or `options=mr` index: the response, for the cache. */
  function machineLookup(op: string, search: string | undefined, exact: boolean): CachedResponse {
    if (op === 'get') {
      // legacy get never serves v6 keys (spec/landscape.md §1.4); only servable material
      const records = findRecords(search, exact);
      const keys = records.filter((r) => r.version < 5).map(present).filter((b): b is Buffer => b !== undefined);
      if (keys.length === 0) throw new HttpError(404, `no key found for ${JSON.stringify(search)}`);
      return keysResponse(keys, records.length === 1 ? Buffer.from(records[0].fpr).toString('hex').toUpperCase() : 'gpgkey');
    }
    const views = servableViews(search, exact);
    return { type: 'text/plain; charset=utf-8', headers: { 'X-HKP-Results-Count': String(views.length) }, body: Buffer.from(mrIndex(views)) };
  }

  function keysResponse(keys: Buffer[], name: string): CachedResponse {
    return {
      type: 'application/pgp-keys; charset=utf-8',
      headers: { 'Content-Disposition': `attachment; filename=${name}.asc`, 'Cache-Control': 'no-cache', 'X-HKP-Results-Count': String(keys.length) },
      body: Buffer.from(armor(Buffer.concat(keys))),
    };
  }

  function sendKeys(ctx: Koa.Context, keys: Buffer[], name: string) {
    const r = keysResponse(keys, name);
    ctx.type = r.type;
    for (const [k, v] of Object.entries(r.headers)) ctx.set(k, v);
    ctx.body = r.body;
  }

  async function add(ctx: Koa.Context) {
    const wantsHtml = /text\/html/.test(ctx.get('Accept'));
    ctx.state.html = wantsHtml;
    const body = await readBody(ctx.req, options.maxBodyBytes, options.bodyTimeoutMs);
    if (body.length === 0) throw new HttpError(400, 'empty body: send keytext=<armored key>');
    const outcome = addKeys(store, keyEntries(keyMaterial(ctx.get('Content-Type'), body)));
    const summary = summarize(outcome);
    for (const r of outcome.results) metrics.keys.inc({ outcome: r.status });
    const c = summary.counts;
    if (c.new + c.updated + c.unchanged === 0) {
      const first = outcome.results.find((r) => r.status === 'rejected');
      throw new HttpError(422, first ? `no key stored: ${first.reason}: ${first.message}` : 'no key found in the body');
    }
    logger.info('keys added', { new: c.new, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected, ip: ctx.ip });
    if (wantsHtml) return html(ctx, web.renderUploadResult(pageCtx, summary));
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected\n` + summary.lines.join('\n') + '\n';
  }

  async function hashquery(ctx: Koa.Context) {
    const body = await readBody(ctx.req, options.maxBodyBytes, options.bodyTimeoutMs);
    const hashes = parseHashQuery(body);
    const keys: Buffer[] = [];
    for (const h of hashes) {
      const found = store.getByHash(h);
      // the key in the form of the policy whose hash was asked: the peer recomputes that hash from it
      if (found) keys.push(store.viewPackets(found.record, found.policy));
    }
    ctx.type = 'pgp/keys';
    ctx.body = encodeHashQueryResponse(keys);
  }

  async function attestations(ctx: Koa.Context) {
    if (!quorum) throw new HttpError(501, 'quorum mode is off: this server names no peer set');
    const body = await readBody(ctx.req, options.maxBodyBytes, options.bodyTimeoutMs);
    // the request has hashquery's shape: 16-byte ids instead of key hashes
    const ids = parseHashQuery(body);
    ctx.type = 'application/octet-stream';
    ctx.body = encodeHashQueryResponse(quorum.attestations(ids));
  }

  return app;
}

function html(ctx: Koa.Context, body: string) {
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

function routeName(path: string): string {
  if (path.startsWith('/pks/')) return path;
  if (path.startsWith('/key/')) return '/key';
  return ['/', '/upload', '/metrics', '/assets/style.css'].includes(path) ? path : 'other';
}

function internal(e: unknown, logger: Logger, path: string): HttpError {
  logger.error('request failed', { path, error: (e as Error).stack ?? String(e) });
  return new HttpError(500, 'internal error; the server log has the details');
}
