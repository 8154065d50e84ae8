/**
 * The worker side of the HKP cluster (docs/operations.md §12): the `WorkerLink` an HKP worker's
 * app uses to reach its primary — uploads go to the primary's one write path, `/metrics` asks it
 * for the text of all processes — the recon partners' status it pushes, for the stats page, and
 * the per-address connection limit kept across workers (ip-tally.ts), and the rate-limit budgets
 * of all workers together (rate-tally.ts).
 * A request the primary does not answer in time fails with 503, never hangs.
 */
import type { SharedIpCounts } from '../connection-guard';
import { HttpError } from '../errors';
import { WorkerLink } from '../deps';
import { HkpMetrics } from '../metrics-registry';
import { PeerView } from '../stats-view';
import { AddOutcome } from '../add-keys';
import { Budget } from '../ratelimit';
import { isHkpMessage, PrimaryMessage, WorkerMessage } from './messages';

/** how long an upload may take in the primary (a 5 MiB body of keys to verify), and metrics */
const UPLOAD_TIMEOUT_MS = 120_000;
const METRICS_TIMEOUT_MS = 10_000;

export interface JoinedCluster {
  link: WorkerLink;
  /** the partners' status last pushed by the primary */
  peers(): PeerView[];
  /** `maxConnectionsPerIp` across `workers` workers: this worker's share, and the primary's tally */
  ipCounts(maxConnectionsPerIp: number, workers: number): SharedIpCounts;
}

interface Pending {
  resolve(m: PrimaryMessage): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** In a forked HKP worker: talk to the primary over the IPC channel. */
export function joinCluster(worker: number, metrics: HkpMetrics): JoinedCluster {
  if (!process.send) throw new Error('joinCluster: this process has no IPC channel (not forked by the primary)');
  const send = (m: WorkerMessage) => sendToPrimary(m);
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let peers: PeerView[] = [];
  /** clients at their connection limit across the workers, as the primary says */
  const full = new Set<string>();
  const overListeners: ((client: string, budget: Budget, until: number) => void)[] = [];

  process.on('message', (m: unknown) => {
    if (!isHkpMessage<PrimaryMessage>(m)) return;
    if (m.hkp === 'peers') peers = m.peers;
    else if (m.hkp === 'conns-full') {
      if (m.full) full.add(m.client);
      else full.delete(m.client);
    }
    else if (m.hkp === 'over') for (const l of overListeners) l(m.client, m.budget, m.until);
    else if (m.hkp === 'collect') void metrics.registry.getMetricsAsJSON().then((json) => send({ hkp: 'collected', id: m.id, metrics: json }));
    else {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
    }
  });
  process.on('disconnect', () => {
    for (const p of pending.values()) p.reject(new HttpError(503, 'the server is shutting down'));
    pending.clear();
  });

  /** Send a request and wait for the answer with the same id. */
  const ask = (make: (id: number) => WorkerMessage, timeoutMs: number): Promise<PrimaryMessage> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new HttpError(503, 'the server is busy; try again later'));
      }, timeoutMs);
      pending.set(id, { resolve, reject, timer });
      if (!send(make(id))) {
        pending.delete(id);
        clearTimeout(timer);
        reject(new HttpError(503, 'the server is shutting down'));
      }
    });

  return {
    peers: () => peers,
    ipCounts: (maxConnectionsPerIp, workers) => ({
      share: Math.ceil(maxConnectionsPerIp / workers),
      full: (client) => full.has(client),
      report: (client, n) => void send({ hkp: 'conns', client, n }),
    }),
    link: {
      worker,
      budgets: {
        report: (spent) => void send({ hkp: 'spent', spent }),
        onOver: (listener) => void overListeners.push(listener),
      },
      async upload(contentType, body): Promise<AddOutcome> {
        const m = await ask((id) => ({ hkp: 'upload', id, contentType, body }), UPLOAD_TIMEOUT_MS);
        if (m.hkp !== 'uploaded') throw new Error(`unexpected answer ${m.hkp} to an upload`);
        if (m.error) throw new HttpError(m.error.status as HttpError['status'], m.error.message, m.error.headers);
        return m.outcome!;
      },
      async metrics(): Promise<string> {
        const m = await ask((id) => ({ hkp: 'metrics', id }), METRICS_TIMEOUT_MS);
        if (m.hkp !== 'metrics-text') throw new Error(`unexpected answer ${m.hkp} to a metrics request`);
        return m.text;
      },
    },
  };
}

/** Send to the primary if the channel is still open (a closed one must not crash the worker). */
function sendToPrimary(m: WorkerMessage): boolean {
  if (!process.send || !process.connected) return false;
  process.send(m, undefined, {}, () => {});
  return true;
}

/** Tell the primary this worker listens on `port`, or why it could not. */
export function reportListening(port: number): void {
  sendToPrimary({ hkp: 'listening', port });
}

export function reportListenFailed(message: string): void {
  sendToPrimary({ hkp: 'listen-failed', message });
}
