/**
 * The koa application: the middleware (middleware.ts) around the one route table
 * (routes/table.ts), over what the handlers share (routes/env.ts). The handlers live in routes/,
 * one file per operation; docs/hkp.md describes what each answers.
 */
import Koa from 'koa';
import { ResponseCache } from './cache';
import { HkpDeps } from './deps';
import { HkpMetrics } from './metrics-registry';
import { cors, errorAnswers, preflight, rateLimit, requestMetrics } from './middleware';
import { RateLimiter } from './ratelimit';
import { createRouteEnv } from './routes/env';
import { router, ROUTES } from './routes/table';

export function createHkpApp(deps: HkpDeps): Koa {
  const metrics = deps.metrics ?? new HkpMetrics();
  const env = createRouteEnv(deps, metrics, new ResponseCache());
  const app = new Koa();
  app.proxy = false; // rate limits by the socket's address, never by proxy headers
  app.use(requestMetrics(metrics));
  app.use(errorAnswers(deps.logger, env.page));
  app.use(cors());
  app.use(rateLimit(new RateLimiter(deps.options.rateLimit), metrics));
  app.use(preflight());
  app.use(router(env, ROUTES));
  return app;
}
