/**
 * Server statistics: the JSON of `op=stats&options=mr` with Hockeypuck's field names plus
 * `numkeys` and `Total` (so network crawlers such as walk_sks list the server, docs/hkp.md §11),
 * and the numbers the HTML stats page shows. Counts come from the change log, cached.
 */
import { KeyStore, type PartnerStatus } from '@dkeyserv/db';
import { RECON_POLICIES } from '@dkeyserv/pgp';

export interface ServerIdentity {
  hostname: string;
  nodename: string;
  software: string;
  version: string;
  contact?: string;
  httpAddr: string;
  reconAddr?: string;
}

export interface Bucket {
  Time: string;
  Inserted: number;
  Updated: number;
  Removed: number;
}

/** A recon partner's status (docs/hkp.md §11): the shape recon reports, declared in db. */
export type PeerView = PartnerStatus;

/** One version of a key and who attested it (docs/quorum.md §8). */
export interface QuorumVersionView {
  /** SKS key hash, lower-case hex */
  keyHash: string;
  members: string[];
  /** when each member attested it (ISO), in the order of `members` */
  attested: string[];
  /** when it reached quorum (the k-th attestation), for an accepted version */
  quorumTime?: string;
}

/** The quorum section of a key page. */
export interface QuorumKeyView {
  policy: string;
  n: number;
  k: number;
  /** the version served; absent while the key waits for its quorum */
  accepted?: QuorumVersionView;
  /** the served version adds the owner's revocations from a newer version (served at once) */
  revocationsAdded: boolean;
  pending: QuorumVersionView[];
}

/** The quorum section of stats. */
export interface QuorumStatsView {
  policy: { name: string; version: number; hash: string; n: number; k: number; members: { name: string; id: string }[] };
  /** this node's id (base64) */
  nodeId: string;
  /** attestations in the set peers reconcile */
  attestations: number;
  /** recently changed keys with a version waiting for its quorum (newest first, bounded) */
  pending: { fingerprint: string; keyHash: string; members: string[] }[];
  /** members caught signing two conflicting statements about a key */
  evidence: { member?: string; signer: string; fingerprint: string }[];
  /** attestations received and dropped, by reason */
  dropped: Record<string, number>;
}

export interface StatsView extends ServerIdentity {
  now: string;
  total: number;
  numkeys: number;
  Total: number;
  queryConfig: { selfSignedOnly: boolean; keywordSearchDisabled: boolean; enableInexactMatching: boolean };
  /** the recon policies kept, with the number of keys each holds a version of */
  reconPolicies: { name: string; filters: string; keys: number }[];
  /** the configured partners, then the recent incoming sessions, at most 32 (docs/recon.md §12) */
  peers: PeerView[];
  hourly: Bucket[];
  daily: Bucket[];
  /** quorum mode only */
  quorum?: QuorumStatsView;
  /** keys taken down (docs/operations.md §14): how many, and the first TAKEDOWNS_SHOWN by fingerprint */
  takedowns: { count: number; keys: TakedownView[] };
}

/** A taken-down key as stats show it. */
export interface TakedownView {
  /** upper-case hex */
  fingerprint: string;
  reason: string;
  /** ISO time of the takedown */
  since: string;
  /** `operator` (dkeyserv delete) or `config` ([policy] blocked) */
  source: string;
}

/** takedowns listed at most (the count is exact) */
const TAKEDOWNS_SHOWN = 100;

function takedownsOf(store: KeyStore): StatsView['takedowns'] {
  const keys: TakedownView[] = [];
  for (const t of store.takedowns()) {
    if (keys.length >= TAKEDOWNS_SHOWN) break;
    keys.push({ fingerprint: t.fpr.toString('hex').toUpperCase(), reason: t.reason, since: new Date(t.time).toISOString(), source: t.source });
  }
  return { count: store.takedownCount(), keys };
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;
/** change-log entries scanned at most for the histograms */
const MAX_SCAN = 200_000;

export class Stats {
  private cached?: { at: number; view: StatsView };

  constructor(
    private readonly store: KeyStore,
    private readonly identity: ServerIdentity,
    private readonly peers: () => PeerView[] = () => [],
    private readonly quorum?: () => QuorumStatsView,
    private readonly cacheMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  view(): StatsView {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.cacheMs) return this.cached.view;
    const total = this.store.count();
    const hourly = buckets(now, HOUR, 24);
    const daily = buckets(now, DAY, 7);
    let scanned = 0;
    for (const [, e] of this.store.recentChanges()) {
      if (e.time < now - 7 * DAY || ++scanned > MAX_SCAN) break;
      const field = e.removed ? 'Removed' : e.updated ? 'Updated' : 'Inserted';
      const h = Math.floor((now - e.time) / HOUR);
      if (h < 24) hourly[h][field]++;
      daily[Math.floor((now - e.time) / DAY)][field]++;
    }
    const view: StatsView = {
      ...this.identity,
      now: new Date(now).toISOString(),
      total,
      numkeys: total,
      Total: total,
      queryConfig: { selfSignedOnly: true, keywordSearchDisabled: false, enableInexactMatching: true },
      reconPolicies: this.store.policies.map((name) => ({ name, filters: RECON_POLICIES[name].filters, keys: this.store.hashCount(name) })),
      peers: this.peers(),
      hourly,
      daily,
      quorum: this.quorum?.(),
      takedowns: takedownsOf(this.store),
    };
    this.cached = { at: now, view };
    return view;
  }
}

function buckets(now: number, width: number, n: number): Bucket[] {
  return Array.from({ length: n }, (_, i) => ({ Time: new Date(now - i * width).toISOString(), Inserted: 0, Updated: 0, Removed: 0 }));
}
