/**
 * Per-IP rate limiting (rate-limiter-flexible, in memory): a budget of requests per window for
 * everything, and a smaller one for uploads (`/pks/add`, HKP v2, VKS). Over budget: 429 with
 * Retry-After. In an HKP worker the budgets hold for all workers together without a round trip
 * per request (docs/operations.md §12): each worker counts locally, reports what each client
 * spent to the primary every SPENT_REPORT_MS (`BudgetChannel`), and the primary, which sums the
 * reports (cluster/rate-tally.ts), tells every worker which clients are over a budget and until
 * when. A request never waits for the primary, so a busy primary cannot slow or fail answers; a
 * client spread over several workers may overspend by what it sends within one report interval.
 */
import { IncomingMessage } from 'node:http';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

export type Budget = 'requests' | 'uploads';

/** What a client spent in one report interval: [client, requests, uploads]. */
export type Spent = [client: string, requests: number, uploads: number];

/** An HKP worker's line to the primary's tally of budgets (cluster/worker.ts, cluster/rate-tally.ts). */
export interface BudgetChannel {
  report(spent: Spent[]): void;
  /** the primary's word that `client` is over `budget` until `until` (ms since the epoch) */
  onOver(listener: (client: string, budget: Budget, until: number) => void): void;
}

/** How often a worker reports what its clients spent. */
export const SPENT_REPORT_MS = 100;
/** clients marked over a budget beyond which expired marks are swept at each report */
const OVER_SWEEP_AT = 1_000;

export class RateLimiter {
  private readonly all?: RateLimiterMemory;
  private readonly add?: RateLimiterMemory;
  /** client → budget → over until (ms), as the primary says */
  private readonly over = new Map<string, Partial<Record<Budget, number>>>();
  private spent = new Map<string, [number, number]>();

  /** With `channel` (an HKP worker), the budgets are those of all workers together. */
  constructor(
    opts: RateLimitOptions,
    private readonly channel?: BudgetChannel,
  ) {
    const make = (keyPrefix: string, points: number) => new RateLimiterMemory({ keyPrefix, points, duration: opts.windowSeconds });
    if (opts.requests > 0) this.all = make('hkp-all', opts.requests);
    if (opts.uploads > 0) this.add = make('hkp-add', opts.uploads);
    if (channel && this.active) {
      channel.onOver((client, budget, until) => {
        const o = this.over.get(client) ?? {};
        o[budget] = Math.max(o[budget] ?? 0, until);
        this.over.set(client, o);
      });
      setInterval(() => this.flush(), SPENT_REPORT_MS).unref();
    }
  }

  /** Does any budget apply? */
  get active(): boolean {
    return this.all !== undefined || this.add !== undefined;
  }

  /** Throws HttpError 429 when `ip` is over its budget. */
  async check(ip: string, upload: boolean): Promise<void> {
    const o = this.over.get(ip);
    if (o) {
      const now = Date.now();
      const until = Math.max(this.all ? (o.requests ?? 0) : 0, upload && this.add ? (o.uploads ?? 0) : 0);
      if (until > now) throw tooMany(ip, until - now);
      if ((o.requests ?? 0) <= now && (o.uploads ?? 0) <= now) this.over.delete(ip);
    }
    try {
      await this.all?.consume(ip);
      if (upload) await this.add?.consume(ip);
    } catch (e) {
      if (e instanceof RateLimiterRes) throw tooMany(ip, e.msBeforeNext);
      throw e;
    } finally {
      if (this.channel) {
        const s = this.spent.get(ip) ?? [0, 0];
        s[0]++;
        if (upload) s[1]++;
        this.spent.set(ip, s);
      }
    }
  }

  private flush(): void {
    if (this.over.size > OVER_SWEEP_AT) {
      const now = Date.now();
      for (const [client, o] of this.over) if ((o.requests ?? 0) <= now && (o.uploads ?? 0) <= now) this.over.delete(client);
    }
    if (this.spent.size === 0) return;
    const spent: Spent[] = [...this.spent].map(([client, [requests, uploads]]) => [client, requests, uploads]);
    this.spent = new Map();
    this.channel!.report(spent);
  }
}

function tooMany(ip: string, ms: number): HttpError {
  const retry = Math.max(1, Math.ceil(ms / 1000));
  return new HttpError(429, `too many requests from ${ip}; retry in ${retry} s`, { 'Retry-After': String(retry) });
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
