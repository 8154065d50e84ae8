/**
 * Prometheus metrics on `/metrics` (prom-client, docs/hkp.md §11), in a registry of the server's
 * own so several servers in one process (tests) do not collide: HTTP, keys submitted, and recon
 * sessions (the process that serves /metrics counts its recon node's sessions too).
 */
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export class HkpMetrics {
  readonly registry = new Registry();
  readonly requestDuration = new Histogram({
    name: 'dkeyserv_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['route', 'status'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [this.registry],
  });
  readonly keys = this.counter('dkeyserv_keys_total', 'Keys submitted over HKP, by outcome (new, updated, unchanged, rejected)', ['outcome']);
  readonly rateLimited = this.counter('dkeyserv_http_rate_limited_total', 'Requests refused with 429');

  readonly reconSessions = this.counter('dkeyserv_recon_sessions_total', 'Recon sessions by direction (in: a peer connected, out: we gossiped) and result', ['direction', 'result']);
  readonly reconRecovered = this.counter('dkeyserv_recon_keys_recovered_total', 'Keys fetched by hashquery after recon sessions');
  readonly reconNotConverging = this.counter(
    'dkeyserv_recon_keys_not_converging_total',
    'Key versions fetched that did not bring the asked hash into the policy tree (not fetched from that peer again for an hour)',
  );

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A counter in this registry, with these labels. */
  private counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }
}
