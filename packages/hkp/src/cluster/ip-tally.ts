/**
 * The per-address connection limit across HKP workers (docs/operations.md §12), kept in the
 * primary. Each worker accepts connections itself, so none sees them all; a worker may always
 * hold its share (`ceil(limit / workers)`) of an address's connections, and reports its count
 * only while above that share — a client with few connections costs no IPC. The primary sums
 * those reports and tells every worker when an address reaches the limit (then a worker above its
 * share refuses it) and when it drops below. So one address holds at most the limit in any one
 * worker, and below `limit + (workers - 1) × share` (under twice the limit) in all of them.
 */
import cluster, { Worker } from 'node:cluster';
import { isHkpMessage, PrimaryMessage, WorkerMessage } from './messages';

export class IpTally {
  /** client → worker id → connections, for workers above their share */
  private readonly above = new Map<string, Map<number, number>>();
  private readonly full = new Set<string>();
  private readonly share: number;
  private readonly onMessage = (w: Worker, m: unknown) => {
    if (!isHkpMessage<WorkerMessage>(m)) return;
    if (m.hkp === 'conns') this.update(w.id, m.client, m.n);
    // a new worker learns which clients are full
    else if (m.hkp === 'listening') for (const client of this.full) send(w, { hkp: 'conns-full', client, full: true });
  };
  private readonly onExit = (w: Worker) => {
    for (const client of [...this.above.keys()]) this.update(w.id, client, 0);
  };

  constructor(
    private readonly limit: number,
    workers: number,
  ) {
    this.share = Math.ceil(limit / workers);
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
  }

  stop(): void {
    cluster.off('message', this.onMessage);
    cluster.off('exit', this.onExit);
  }

  private update(worker: number, client: string, n: number): void {
    let counts = this.above.get(client);
    if (n > this.share) {
      if (!counts) this.above.set(client, (counts = new Map()));
      counts.set(worker, n);
    } else if (counts) {
      counts.delete(worker);
      if (counts.size === 0) this.above.delete(client);
    }
    let total = 0;
    for (const c of counts?.values() ?? []) total += c;
    const full = this.limit > 0 && total >= this.limit;
    if (full === this.full.has(client)) return;
    if (full) this.full.add(client);
    else this.full.delete(client);
    for (const w of Object.values(cluster.workers ?? {})) if (w) send(w, { hkp: 'conns-full', client, full });
  }
}

function send(w: Worker, m: PrimaryMessage): void {
  if (w.isConnected()) w.send(m, undefined, {}, () => {});
}
