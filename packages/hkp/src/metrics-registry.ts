/**
 * Prometheus metrics on `/metrics` (prom-client), in a registry of the server's own so several
 * servers in one process (tests) do not collide: HTTP, keys submitted, and recon sessions (the
 * process that serves /metrics counts its recon node's sessions too).
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
  readonly keys = new Counter({
    name: 'dkeyserv_keys_total',
    help: 'Keys submitted over HKP, by outcome (new, updated, unchanged, rejected)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: 'dkeyserv_http_rate_limited_total',
    help: 'Requests refused with 429',
    registers: [this.registry],
  });

  readonly reconSessions = new Counter({
    name: 'dkeyserv_recon_sessions_total',
    help: 'Recon sessions by direction (in: a peer connected, out: we gossiped) and result',
    labelNames: ['direction', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconRecovered = new Counter({
    name: 'dkeyserv_recon_keys_recovered_total',
    help: 'Keys fetched by hashquery after recon sessions',
    registers: [this.registry],
  });
  readonly reconNotConverging = new Counter({
    name: 'dkeyserv_recon_keys_not_converging_total',
    help: 'Key versions fetched that did not bring the asked hash into the policy tree (not fetched from that peer again for an hour)',
    registers: [this.registry],
  });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }
}
