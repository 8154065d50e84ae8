/**
 * The primary side of the HKP cluster (docs/operations.md §12, docs/architecture.md §6: several HTTP worker
 * processes read the one LMDB environment; writes stay on the one ingest path). The primary
 * keeps the writable store with its hooks, forks N workers that each serve HKP on the shared
 * listening socket from a read-only view of the same environment, and answers what they ask:
 * uploads go through `uploadKeys` here, `/metrics` is the sum of every process (prom-client's
 * aggregation), rate-limit budgets are kept here for all (ratelimit.ts). It pushes the recon
 * partners' status to the workers for the stats page, replaces a worker that dies (with a
 * backoff), and stops them all on `stop()`.
 */
import cluster, { Worker } from 'node:cluster';
import { KeyPreparer, KeyStore, Logger } from '@dkeyserv/db';
import { AggregatorRegistry } from 'prom-client';
import { AddOutcome, uploadKeys } from '../add-keys';
import { HttpError } from '../errors';
import { HkpMetrics } from '../metrics-registry';
import { RateLimitOptions } from '../ratelimit';
import { PeerView } from '../stats-view';
import { IpTally } from './ip-tally';
import { RateTally } from './rate-tally';
import { isHkpMessage, PrimaryMessage, WireError, WorkerMessage } from './messages';

/** The environment variable that tells a forked process it is HKP worker N of M (`N/M`). */
export const WORKER_ENV = 'DKEYSERV_HKP_WORKER';

const PEERS_PUSH_MS = 5_000;
/** V8 semi-space of a worker, MB (measured: less private memory, no fewer requests per second) */
const WORKER_SEMI_SPACE_MB = 2;
/**
 * V8 old space of a worker, MB: without a cap V8 lets an idle-ish heap grow, and at 1M keys two
 * workers reached ~200 MB of private memory each under wrk; capped, a worker collects earlier at
 * no measured cost in requests per second (the response cache is outside this heap).
 */
const WORKER_OLD_SPACE_MB = 96;
/** a worker's share of the metrics: left out if it does not answer in time */
const COLLECT_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 5_000;
/** restart backoff: doubles with each unexpected exit in the last minute, up to the cap */
const RESTART_WINDOW_MS = 60_000;
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 30_000;

export interface HkpClusterOptions {
  workers: number;
  /** the writable store: uploads are stored here */
  store: KeyStore;
  logger: Logger;
  /** the primary's own metrics (recon sessions, this process), added to the workers' */
  metrics: HkpMetrics;
  peers: () => PeerView[];
  /** checks the signatures of uploads off the event loop (docs/operations.md §13); default inline */
  preparer?: KeyPreparer;
  /** the per-address connection limit, kept across the workers (ip-tally.ts); 0 or absent: none */
  maxConnectionsPerIp?: number;
  /** the workers' rate-limit budgets, summed here (rate-tally.ts); absent: none */
  rateLimit?: RateLimitOptions;
}

export class ClusterStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterStartError';
  }
}

interface Collection {
  waiting: Set<number>;
  parts: object[][];
  done(): void;
}

export class HkpCluster {
  /** the port the workers listen on (known once one does) */
  port = 0;
  private readonly slots = new Map<number, Worker>();
  private readonly slotOf = new Map<number, number>();
  private readonly exits: number[] = [];
  private readonly collections = new Map<number, Collection>();
  private nextCollection = 1;
  private stopping = false;
  private starting?: { listening: Set<number>; resolve(): void; reject(e: Error): void };
  private readonly pushTimer: NodeJS.Timeout;
  private readonly tally: IpTally;
  private readonly rates: RateTally;
  private readonly onMessage = (w: Worker, m: unknown) => {
    if (isHkpMessage<WorkerMessage>(m)) this.handle(w, m);
  };
  private readonly onExit = (w: Worker, code: number | null, signal: string | null) => this.exited(w, code, signal);

  private constructor(private readonly opts: HkpClusterOptions) {
    // workers accept on the shared socket themselves: no hand-off of each connection through the
    // primary, which is what a client opening a connection per request (gpg) pays for most.
    // NODE_CLUSTER_SCHED_POLICY=rr still picks Node's round-robin (docs/operations.md §12).
    if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
    // a small young generation: a worker's garbage is short-lived request objects, and V8's
    // default (semi-spaces growing to 16 MB) costs each worker tens of MB of private memory;
    // and a capped old space; the node flags the primary was started with come after them, so an
    // operator's choice wins
    cluster.setupPrimary({
      serialization: 'advanced',
      execArgv: [`--max-semi-space-size=${WORKER_SEMI_SPACE_MB}`, `--max-old-space-size=${WORKER_OLD_SPACE_MB}`, ...process.execArgv],
    });
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    this.pushTimer = setInterval(() => this.pushPeers(), PEERS_PUSH_MS).unref();
    this.tally = new IpTally(opts.maxConnectionsPerIp ?? 0, opts.workers);
    this.rates = new RateTally(opts.rateLimit ?? { requests: 0, uploads: 0, windowSeconds: 60 });
  }

  /** Fork the workers; resolves once every one listens (rejects if one cannot). */
  static async start(opts: HkpClusterOptions): Promise<HkpCluster> {
    const c = new HkpCluster(opts);
    try {
      await new Promise<void>((resolve, reject) => {
        c.starting = { listening: new Set(), resolve, reject };
        for (let slot = 1; slot <= opts.workers; slot++) c.fork(slot);
      });
    } catch (e) {
      await c.stop();
      throw e;
    }
    c.starting = undefined;
    return c;
  }

  /** Send the partners' status to every worker now (also done every few seconds). */
  pushPeers(): void {
    const peers = this.opts.peers();
    for (const w of this.slots.values()) send(w, { hkp: 'peers', peers });
  }

  /** Stop every worker (SIGTERM, then SIGKILL after a grace period) and stop listening to them. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pushTimer);
    const live = [...this.slots.values()].filter((w) => !w.isDead());
    await Promise.all(
      live.map(
        (w) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => w.process.kill('SIGKILL'), STOP_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            w.process.kill('SIGTERM');
          }),
      ),
    );
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
    this.tally.stop();
    this.rates.stop();
  }

  private fork(slot: number): void {
    const w = cluster.fork({ [WORKER_ENV]: `${slot}/${this.opts.workers}` });
    this.slots.set(slot, w);
    this.slotOf.set(w.id, slot);
  }

  private handle(w: Worker, m: WorkerMessage): void {
    const slot = this.slotOf.get(w.id) ?? 0;
    switch (m.hkp) {
      case 'listening':
        this.port = m.port;
        send(w, { hkp: 'peers', peers: this.opts.peers() });
        this.opts.logger.debug(`HKP worker ${slot} (pid ${w.process.pid}) listening`);
        if (this.starting) {
          this.starting.listening.add(slot);
          if (this.starting.listening.size === this.opts.workers) this.starting.resolve();
        }
        return;
      case 'listen-failed':
        this.starting?.reject(new ClusterStartError(m.message));
        return;
      case 'upload':
        void this.upload(m.contentType, Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength)).then((r) => send(w, { hkp: 'uploaded', id: m.id, ...r }));
        return;
      case 'metrics':
        void this.metricsText().then((text) => send(w, { hkp: 'metrics-text', id: m.id, text }));
        return;
      case 'collected': {
        const c = this.collections.get(m.id);
        if (c && c.waiting.delete(w.id)) {
          c.parts.push(m.metrics);
          if (c.waiting.size === 0) c.done();
        }
      }
    }
  }

  /** An upload through the one write path; an HttpError travels back as such, anything else is a logged 500. */
  private async upload(contentType: string | undefined, body: Buffer): Promise<{ outcome?: AddOutcome; error?: WireError }> {
    try {
      return { outcome: await uploadKeys(this.opts.store, contentType, body, this.opts.preparer) };
    } catch (e) {
      if (e instanceof HttpError) return { error: { status: e.status, message: e.message, headers: e.headers } };
      this.opts.logger.error('upload failed', { error: (e as Error).stack ?? String(e) });
      return { error: { status: 500, message: 'internal error; the server log has the details', headers: {} } };
    }
  }

  /** Every live worker's metrics and the primary's own, summed (prom-client's aggregation). */
  private async metricsText(): Promise<string> {
    const id = this.nextCollection++;
    const live = [...this.slots.values()].filter((w) => w.isConnected());
    const parts: object[][] = [await this.opts.metrics.registry.getMetricsAsJSON()];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, COLLECT_TIMEOUT_MS);
      this.collections.set(id, {
        waiting: new Set(live.map((w) => w.id)),
        parts,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      if (live.length === 0) resolve();
      for (const w of live) send(w, { hkp: 'collect', id });
    });
    this.collections.delete(id);
    return AggregatorRegistry.aggregate(parts).metrics();
  }

  private exited(w: Worker, code: number | null, signal: string | null): void {
    const slot = this.slotOf.get(w.id);
    this.slotOf.delete(w.id);
    if (slot === undefined || this.slots.get(slot) !== w) return;
    this.slots.delete(slot);
    if (this.stopping) return;
    if (this.starting && !this.starting.listening.has(slot)) {
      this.starting.reject(new ClusterStartError(`HKP worker ${slot} exited before it listened (${signal ?? `code ${code}`})`));
      return;
    }
    const now = Date.now();
    this.exits.push(now);
    while (this.exits.length && this.exits[0] < now - RESTART_WINDOW_MS) this.exits.shift();
    const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (this.exits.length - 1));
    this.opts.logger.warn(`HKP worker ${slot} (pid ${w.process.pid}) exited (${signal ?? `code ${code}`}); starting another in ${delay} ms`);
    setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay).unref();
  }
}

/** Send to a worker unless its channel is closed (it is exiting; its exit is handled). */
function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m, undefined, {}, () => {});
}
