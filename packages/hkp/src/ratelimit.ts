/**
 * Per-IP rate limiting (rate-limiter-flexible, in memory): a budget of requests per window for
 * everything, and a smaller one for uploads (`/pks/add`, HKP v2, VKS). Over budget: 429 with Retry-After. In an HKP
 * worker (`cluster`) the budgets live in the primary, which counts for all workers together
 * (RateLimiterCluster; the primary runs `startLimitKeeper`, docs/operations.md §12).
 */
import { IncomingMessage } from 'node:http';
import { RateLimiterAbstract, RateLimiterCluster, RateLimiterClusterMaster, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from './errors';

export interface RateLimitOptions {
  /** requests per IP per window (0: no limit) */
  requests: number;
  /** uploads (POST /pks/add, /pks/v2/certs, /vks/v1/upload) per IP per window (0: no limit) */
  uploads: number;
  /** window in seconds */
  windowSeconds: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { requests: 600, uploads: 30, windowSeconds: 60 };

export class RateLimiter {
  private readonly all?: RateLimiterAbstract;
  private readonly add?: RateLimiterAbstract;

  /** `process`: budgets of this process; `cluster`: of all HKP workers, kept by the primary. */
  constructor(opts: RateLimitOptions, scope: 'process' | 'cluster' = 'process') {
    const make = (keyPrefix: string, points: number) =>
      scope === 'cluster' ? new RateLimiterCluster({ keyPrefix, points, duration: opts.windowSeconds, timeoutMs: 2000 }) : new RateLimiterMemory({ keyPrefix, points, duration: opts.windowSeconds });
    if (opts.requests > 0) this.all = make('hkp-all', opts.requests);
    if (opts.uploads > 0) this.add = make('hkp-add', opts.uploads);
  }

  /** Does any budget apply? */
  get active(): boolean {
    return this.all !== undefined || this.add !== undefined;
  }

  /** Throws HttpError 429 when `ip` is over its budget. */
  async check(ip: string, upload: boolean): Promise<void> {
    try {
      await this.all?.consume(ip);
      if (upload) await this.add?.consume(ip);
    } catch (e) {
      if (e instanceof RateLimiterRes) {
        const retry = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw new HttpError(429, `too many requests from ${ip}; retry in ${retry} s`, { 'Retry-After': String(retry) });
      }
      throw e;
    }
  }
}

const verdicts = new WeakMap<IncomingMessage, Promise<void>>();

/**
 * The verdict on a request, taken once: the fast path (fast-path.ts) asks first and koa's
 * middleware, if the request falls through to it, reuses the answer instead of counting again.
 */
export function requestVerdict(limiter: RateLimiter, req: IncomingMessage, ip: string, upload: boolean): Promise<void> {
  let v = verdicts.get(req);
  if (!v) {
    v = limiter.check(ip, upload);
    verdicts.set(req, v);
  }
  return v;
}

/** In the primary, before forking HKP workers: the one keeper of their rate-limit budgets. */
export function startLimitKeeper(): void {
  new RateLimiterClusterMaster(); // a singleton that answers the workers' limiters over IPC
}
