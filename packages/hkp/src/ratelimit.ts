/**
 * Per-IP rate limiting (rate-limiter-flexible, in memory): a budget of requests per window for
 * everything, and a smaller one for `/pks/add`. Over budget: 429 with Retry-After.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { HttpError } from './errors';

export interface RateLimitOptions {
  /** requests per IP per window (0: no limit) */
  requests: number;
  /** uploads (POST /pks/add) per IP per window (0: no limit) */
  uploads: number;
  /** window in seconds */
  windowSeconds: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitOptions = { requests: 600, uploads: 30, windowSeconds: 60 };

export class RateLimiter {
  private readonly all?: RateLimiterMemory;
  private readonly add?: RateLimiterMemory;

  constructor(opts: RateLimitOptions) {
    if (opts.requests > 0) this.all = new RateLimiterMemory({ points: opts.requests, duration: opts.windowSeconds });
    if (opts.uploads > 0) this.add = new RateLimiterMemory({ points: opts.uploads, duration: opts.windowSeconds });
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
