/**
 * The koa application: the middleware (middleware.ts) around the one route table
 * (routes/table.ts), over what the handlers share (routes/env.ts). The handlers live in routes/,
 * one file per operation; docs/hkp.md describes what each answers. The common lookups take a
 * cheaper path in front of koa (fast-path.ts): the app's `callback()`, which `listen` serves,
 * tries it first.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import Koa from 'koa';
import { ResponseCache } from './cache';
import { HkpDeps } from './deps';
import { FastLookup } from './fast-path';
import { HkpMetrics } from './metrics-registry';
import { cors, errorAnswers, preflight, rateLimit, requestMetrics, securityHeaders } from './middleware';
import { RateLimiter } from './ratelimit';
import { createRouteEnv } from './routes/env';
import { router, ROUTES } from './routes/table';

/** Koa whose request handler puts the fast path first. */
class HkpApp extends Koa {
  constructor(private readonly fast: FastLookup) {
    super();
  }

  override callback(): ReturnType<Koa['callback']> {
    const koa = super.callback();
    const serve = (req: IncomingMessage, res: ServerResponse) => this.fast.serve(req, res, () => void koa(req, res));
    // node:http ignores what a request listener returns; this app is only served over HTTP/1.1
    return serve as unknown as ReturnType<Koa['callback']>;
  }
}

export function createHkpApp(deps: HkpDeps): Koa {
  const metrics = deps.metrics ?? new HkpMetrics();
  const { cacheBytes, rateLimit: limits } = deps.options;
  const env = createRouteEnv(deps, metrics, new ResponseCache(cacheBytes));
  // with workers, every budget holds for all of them together (docs/operations.md §12)
  const limiter = new RateLimiter(limits, deps.cluster?.budgets);
  const app = new HkpApp(new FastLookup(env, limiter));
  app.proxy = false; // rate limits by the socket's address, never by proxy headers
  app.use(requestMetrics(metrics));
  app.use(securityHeaders());
  app.use(errorAnswers(deps.logger, env.page));
  app.use(cors());
  app.use(rateLimit(limiter, metrics));
  app.use(preflight());
  app.use(router(env, ROUTES));
  return app;
}
