/**
 * What every route handler works with, built once per app: the store, options, metrics and
 * quorum hooks of `HkpDeps`, the stats view, the response cache, the page context, and what is
 * served of a stored record (in quorum mode its accepted version, docs/quorum.md §10).
 */
import { KeyPreparer, KeyRecord, KeyStore, Logger } from '@dkeyserv/db';
import { ResponseCache } from '../cache';
import { HkpDeps, HkpOptions, QuorumServing, WorkerLink } from '../deps';
import { HkpMetrics } from '../metrics-registry';
import { presentedBytes } from '../present';
import { Stats } from '../stats-view';
import { PageContext } from '../web';

export interface RouteEnv {
  store: KeyStore;
  logger: Logger;
  options: HkpOptions;
  metrics: HkpMetrics;
  quorum?: QuorumServing;
  /** in an HKP worker: the link to the primary (writes, metrics) */
  cluster?: WorkerLink;
  /** checks uploads' signatures (deps.ts) */
  preparer?: KeyPreparer;
  stats: Stats;
  /** finished machine answers (`op=get`, `options=mr`), see respond.ts */
  cache: ResponseCache;
  page: PageContext;
  /** The record served for a stored one: itself, or in quorum mode its accepted version. */
  served(record: KeyRecord | undefined): KeyRecord | undefined;
  /** The served bytes of a stored record (present.ts), or undefined when nothing of it is. */
  present(record: KeyRecord | undefined): Buffer | undefined;
}

export function createRouteEnv(deps: HkpDeps, metrics: HkpMetrics, cache: ResponseCache): RouteEnv {
  const { store, logger, options, quorum } = deps;
  const served = (r: KeyRecord | undefined): KeyRecord | undefined => (r && quorum ? quorum.served(r) : r);
  return {
    store,
    logger,
    options,
    metrics,
    quorum,
    cluster: deps.cluster,
    preparer: deps.preparer,
    stats: new Stats(store, options.identity, deps.peers, quorum && (() => quorum.stats())),
    cache,
    page: { nodename: options.identity.nodename, version: options.identity.version },
    served,
    present: (r) => {
      const s = served(r);
      return s && presentedBytes(store, s);
    },
  };
}
