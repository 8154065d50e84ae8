/**
 * The rate-limit budgets of all HKP workers together (docs/operations.md §12), kept in the
 * primary: the workers report what each client spent every interval (ratelimit.ts
 * `BudgetChannel`), this sums the reports in one in-memory limiter per budget, and tells every
 * worker once a client is over a budget and until when. Nothing here answers a request, so a
 * busy primary only delays the word that a client is over, never an answer.
 */
import cluster, { Worker } from 'node:cluster';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { Budget, RateLimitOptions } from '../ratelimit';
import { isHkpMessage, PrimaryMessage, WorkerMessage } from './messages';

/** marks kept beyond which expired ones are dropped (each is one client over a budget) */
const TOLD_SWEEP_AT = 10_000;

export class RateTally {
  private readonly limiters: Partial<Record<Budget, RateLimiterMemory>> = {};
  /** `budget client` → over until (ms): told to the workers once, and to a new worker */
  private readonly told = new Map<string, number>();
  private readonly onMessage = (w: Worker, m: unknown) => {
    if (!isHkpMessage<WorkerMessage>(m)) return;
    if (m.hkp === 'spent') {
      for (const [client, requests, uploads] of m.spent) {
        if (typeof client !== 'string') continue;
        this.spend('requests', client, requests);
        this.spend('uploads', client, uploads);
      }
    } else if (m.hkp === 'listening') {
      const now = Date.now();
      for (const [key, until] of this.told) {
        if (until <= now) this.told.delete(key);
        else send(w, over(key, until));
      }
    }
  };

  constructor(opts: RateLimitOptions) {
    if (opts.requests > 0) this.limiters.requests = new RateLimiterMemory({ keyPrefix: 'all', points: opts.requests, duration: opts.windowSeconds });
    if (opts.uploads > 0) this.limiters.uploads = new RateLimiterMemory({ keyPrefix: 'add', points: opts.uploads, duration: opts.windowSeconds });
    cluster.on('message', this.onMessage);
  }

  stop(): void {
    cluster.off('message', this.onMessage);
  }

  private spend(budget: Budget, client: string, n: number): void {
    const limiter = this.limiters[budget];
    if (!limiter || !Number.isSafeInteger(n) || n <= 0) return;
    limiter.consume(client, n).then(
      () => {},
      (e: unknown) => {
        if (!(e instanceof RateLimiterRes)) return;
        const key = `${budget} ${client}`;
        const until = Date.now() + e.msBeforeNext;
        if ((this.told.get(key) ?? 0) > Date.now()) return; // the workers know
        if (this.told.size >= TOLD_SWEEP_AT) for (const [k, u] of this.told) if (u <= Date.now()) this.told.delete(k);
        this.told.set(key, until);
        for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, over(key, until));
      },
    );
  }
}

function over(key: string, until: number): PrimaryMessage {
  const space = key.indexOf(' ');
  return { hkp: 'over', budget: key.slice(0, space) as Budget, client: key.slice(space + 1), until };
}

function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m, undefined, {}, () => {});
}
