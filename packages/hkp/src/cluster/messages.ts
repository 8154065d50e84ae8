/**
 * The messages between the primary and its HKP workers (docs/operations.md §12), over the
 * cluster IPC channel with `advanced` serialization (Buffers and Dates arrive intact). Every
 * message names its kind in `hkp`, so other users of the channel are told apart.
 */
import type { AddOutcome } from '../add-keys';
import type { Budget, Spent } from '../ratelimit';
import type { PeerView } from '../stats-view';

/** An HttpError across the channel. */
export interface WireError {
  status: number;
  message: string;
  headers: Record<string, string>;
}

export type WorkerMessage =
  /** the worker listens (the primary learns the port) or could not */
  | { hkp: 'listening'; port: number }
  | { hkp: 'listen-failed'; message: string }
  /** store an upload through the one write path */
  | { hkp: 'upload'; id: number; contentType?: string; body: Uint8Array }
  /** the cluster-wide metrics text, please */
  | { hkp: 'metrics'; id: number }
  /** this worker's metrics, answering `collect` */
  | { hkp: 'collected'; id: number; metrics: object[] }
  /** this worker's connections from a client, while above its share (ip-tally.ts) */
  | { hkp: 'conns'; client: string; n: number }
  /** what this worker's clients spent of their rate-limit budgets lately (rate-tally.ts) */
  | { hkp: 'spent'; spent: Spent[] };

export type PrimaryMessage =
  | { hkp: 'uploaded'; id: number; outcome?: AddOutcome; error?: WireError }
  | { hkp: 'metrics-text'; id: number; text: string }
  | { hkp: 'collect'; id: number }
  /** the recon partners' status, for the stats page */
  | { hkp: 'peers'; peers: PeerView[] }
  /** a client holds its limit of connections across the workers, or no longer does (ip-tally.ts) */
  | { hkp: 'conns-full'; client: string; full: boolean }
  /** a client is over a rate-limit budget of all workers together until `until` (rate-tally.ts) */
  | { hkp: 'over'; client: string; budget: Budget; until: number };

export function isHkpMessage<T extends { hkp: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { hkp?: unknown }).hkp === 'string';
}
