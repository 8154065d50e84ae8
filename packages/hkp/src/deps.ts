/**
 * What `createHkpApp` takes: its options (`DEFAULT_HKP_OPTIONS` plus the server's identity) and
 * the services it runs on — the key store, a logger, optionally shared metrics, the recon
 * partners' status, the quorum hooks and the preparer that checks uploads' signatures.
 */
import { KeyPreparer, KeyRecord, KeyStore, Logger } from '@dkeyserv/db';
import { AddOutcome } from './add-keys';
import { HkpMetrics } from './metrics-registry';
import { BudgetChannel, DEFAULT_RATE_LIMITS, RateLimitOptions } from './ratelimit';
import { PeerView, QuorumKeyView, QuorumStatsView, ServerIdentity } from './stats-view';

export interface HkpOptions {
  /** largest request body (POST /pks/add, /pks/hashquery), bytes */
  maxBodyBytes: number;
  /** time allowed to receive a body, ms */
  bodyTimeoutMs: number;
  /** most keys one lookup returns */
  maxResults: number;
  rateLimit: RateLimitOptions;
  /** bytes of the response cache of this process (docs/hkp.md §10) */
  cacheBytes: number;
  identity: ServerIdentity;
}

export const DEFAULT_HKP_OPTIONS: Omit<HkpOptions, 'identity'> = {
  maxBodyBytes: 5 * 1024 * 1024,
  bodyTimeoutMs: 30_000,
  maxResults: 500,
  rateLimit: DEFAULT_RATE_LIMITS,
  cacheBytes: 64 * 1024 * 1024,
};

export interface HkpDeps {
  store: KeyStore;
  logger: Logger;
  options: HkpOptions;
  /** shared with the process's recon node when given; else the app makes its own */
  metrics?: HkpMetrics;
  /** recon partners' status, shown in stats */
  peers?: () => PeerView[];
  /** quorum mode (docs/quorum.md §10): serve accepted versions, proofs and attestations */
  quorum?: QuorumServing;
  /** set in an HKP worker process: what it asks of its primary (docs/operations.md §12) */
  cluster?: WorkerLink;
  /**
   * where uploads' signatures are checked: the serving process's PreparePool, off the event loop
   * (docs/operations.md §13); default inline, on this thread
   */
  preparer?: KeyPreparer;
}

/** What an HKP worker process gets from the primary that forked it (cluster/worker.ts). */
export interface WorkerLink {
  /** this worker's number, 1..N, named by `/pks/health` in `X-HKP-Worker` */
  worker: number;
  /** uploaded key material stored by the primary's one write path (add-keys.ts `uploadKeys` there) */
  upload(contentType: string | undefined, body: Buffer): Promise<AddOutcome>;
  /** the Prometheus text of all processes together */
  metrics(): Promise<string>;
  /** the rate-limit budgets of all workers together (cluster/rate-tally.ts) */
  budgets: BudgetChannel;
}

/** What HKP needs of the quorum (implemented by @dkeyserv/quorum, wired by the cli). */
export interface QuorumServing {
  /** what to serve of a stored key: its accepted version, or undefined while none is */
  served(record: KeyRecord): KeyRecord | undefined;
  /** changes whenever `served` may answer differently with the same store (response cache) */
  seq(): number;
  /** `op=x-quorum`: the proof (JSON) of a key's accepted version, or undefined */
  proof(fpr: Buffer): object | undefined;
  /** `POST /pks/x-attestations`: the stored attestations (wire form) with these ids */
  attestations(ids: Buffer[]): Buffer[];
  /** the key page's quorum section */
  keyStatus(record: KeyRecord): QuorumKeyView;
  /** the stats page's quorum section */
  stats(): QuorumStatsView;
}
