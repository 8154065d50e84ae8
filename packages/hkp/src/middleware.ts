/**
 * The middleware around the route table (routes/table.ts), outermost first as app.ts uses it:
 * request metrics, security headers, error answers, CORS, the rate limit, and OPTIONS preflights. Every error is a
 * status and one line (docs/hkp.md §8): text/plain, or an HTML error page where the route said a
 * person asked for a page (`ctx.state.html`); never HTML for `options=mr`, never a 502.
 */
import Koa from 'koa';
import { Logger } from '@dkeyserv/db';
import { HttpError } from './errors';
import { HkpMetrics } from './metrics-registry';
import { RateLimiter, requestVerdict } from './ratelimit';
import { categoryOf } from './routes/v2/categories';
import { lingerOnClose } from './server';
import * as web from './web';

/** `dkeyserv_http_request_duration_seconds{route,status}` of every request, errors included. */
export function requestMetrics(metrics: HkpMetrics): Koa.Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    const route = routeName(ctx.path);
    try {
      await next();
    } finally {
      metrics.requestDuration.observe({ route, status: String(ctx.status) }, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}

/**
 * The metrics label of a path: the HKP v2 category or VKS call (never the identifier: labels stay
 * few), the path itself for the other paths this server answers, `/key`, `/pks/other` or `other`.
 */
function routeName(path: string): string {
  if (path === '/pks/v2' || path.startsWith('/pks/v2/')) return `/pks/v2/${categoryOf(path.slice('/pks/v2/'.length))?.category.name ?? 'other'}`;
  if (path.startsWith('/vks/')) return /^\/vks\/v1\/(by-fingerprint|by-keyid|by-email|upload|request-verify)(\/|$)/.exec(path)?.[0].replace(/\/$/, '') ?? '/vks/other';
  if (path.startsWith('/key/')) return '/key';
  // only the paths this server answers: a label per path a client makes up would grow /metrics
  // (and this process's memory) without bound
  return LABELLED_PATHS.has(path) ? path : path.startsWith('/pks/') ? '/pks/other' : 'other';
}

const LABELLED_PATHS = new Set(['/', '/upload', '/metrics', '/assets/style.css', '/pks/lookup', '/pks/add', '/pks/hashquery', '/pks/x-attestations', '/pks/health']);

/**
 * The pages' Content-Security-Policy (docs/hkp.md §11): nothing but this server's stylesheet and
 * images, forms that post back here, no scripts, no inline styles, no framing.
 */
export const PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** Headers every answer carries (the cheap path, fast-path.ts, sends the same). */
export const ANSWER_HEADERS: Readonly<Record<string, string>> = { 'X-Content-Type-Options': 'nosniff' };

/** Headers every HTML answer carries besides: the CSP, and no Referer (a search is in the URL). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = { 'Content-Security-Policy': PAGE_CSP, 'Referrer-Policy': 'no-referrer' };

/** `X-Content-Type-Options: nosniff` on every answer, and the page headers on every HTML one, errors included. */
export function securityHeaders(): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } finally {
      ctx.set(ANSWER_HEADERS);
      if (ctx.response.is('html')) ctx.set(PAGE_HEADERS);
    }
  };
}

/** Turns what the rest throws into a status and a one-line reason; anything but HttpError is a logged 500. */
export function errorAnswers(logger: Logger, page: web.PageContext): Koa.Middleware {
  return async (ctx, next) => {
    ctx.state.html = false;
    try {
      await next();
      if (ctx.body === undefined && ctx.status === 404) throw new HttpError(404, `no such page: ${ctx.path}`);
    } catch (e) {
      const err = e instanceof HttpError ? e : internal(e, logger, ctx.path);
      ctx.status = err.status;
      for (const [k, v] of Object.entries(err.headers)) ctx.set(k, v);
      if (err.headers.Connection === 'close') lingerOnClose(ctx.req.socket);
      if (ctx.state.json) {
        ctx.type = 'application/json';
        ctx.body = JSON.stringify({ error: err.message }) + '\n';
      } else if (ctx.state.html) {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = web.renderErrorPage(page, err.status, err.message);
      } else {
        ctx.type = 'text/plain; charset=utf-8';
        ctx.body = err.message + '\n';
      }
    }
  };
}

function internal(e: unknown, logger: Logger, path: string): HttpError {
  logger.error('request failed', { path, error: (e as Error).stack ?? String(e) });
  return new HttpError(500, 'internal error; the server log has the details');
}

/** Every answer, errors included, may be read by any origin. */
export function cors(): Koa.Middleware {
  return (ctx, next) => {
    ctx.set('Access-Control-Allow-Origin', '*');
    return next();
  };
}

/** The submission paths: `/pks/add`, HKP v2's and VKS's (docs/hkp.md §6, §12, §13). */
const UPLOAD_PATHS = new Set(['/pks/add', '/pks/v2/certs', '/vks/v1/upload']);

/** Per-IP budgets (ratelimit.ts); a `POST` to an upload path also counts against the upload budget. */
export function rateLimit(limiter: RateLimiter, metrics: HkpMetrics): Koa.Middleware {
  return async (ctx, next) => {
    await requestVerdict(limiter, ctx.req, ctx.ip, UPLOAD_PATHS.has(ctx.path) && ctx.method === 'POST').catch((e) => {
      metrics.rateLimited.inc();
      throw e;
    });
    await next();
  };
}

/**
 * `OPTIONS` on any path but HKP v2's: 204 with `Allow` and the CORS method and header lists.
 * Under `/pks/v2/` OPTIONS is discovery, a route of its own (routes/v2/discovery.ts).
 */
export function preflight(): Koa.Middleware {
  return (ctx, next) => {
    if (ctx.method !== 'OPTIONS' || ctx.path === '/pks/v2' || ctx.path.startsWith('/pks/v2/')) return next();
    ctx.set('Allow', 'GET, HEAD, POST, OPTIONS');
    ctx.set('Access-Control-Allow-Methods', 'GET, HEAD, POST, OPTIONS');
    ctx.set('Access-Control-Allow-Headers', 'Content-Type');
    ctx.status = 204;
  };
}
