/**
 * @dkeyserv/hkp — the HKP server of dkeyserv (koa): `/pks/lookup` (get, index, vindex, hget,
 * stats, x-quorum), `/pks/add`, `/pks/hashquery`, `/pks/x-attestations`, `/pks/health`,
 * `/metrics`, and the web pages (docs/hkp.md).
 *
 * The public face, by name: the app and its options (`createHkpApp`, `HkpDeps`, `HkpOptions`,
 * `DEFAULT_HKP_OPTIONS`), the HTTP server around it (`listen`), the metrics registry a process
 * shares with its recon node (`HkpMetrics`), what quorum mode needs (`QuorumServing` and the views
 * it returns), the stats view, the key view and served bytes the pages are made of, and the
 * hashquery wire form (recon recovery and `/pks/x-attestations`), and the HKP cluster: the primary
 * that forks HTTP workers (`HkpCluster`) and a worker's link to it (`joinCluster`,
 * docs/operations.md §12). Everything else is internal.
 *
 * @example
 * ```ts
 * import { mkdtempSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * import { KeyStore, silentLogger } from '@dkeyserv/db';
 * import { createHkpApp, DEFAULT_HKP_OPTIONS, listen } from '@dkeyserv/hkp';
 *
 * async function main() {
 *   const store = KeyStore.open({ path: mkdtempSync(join(tmpdir(), 'hkp-example-')) });
 *   const app = createHkpApp({
 *     store,
 *     logger: silentLogger,
 *     options: {
 *       ...DEFAULT_HKP_OPTIONS,
 *       identity: { hostname: 'localhost', nodename: 'example', software: 'dkeyserv', version: '0.1.0', httpAddr: '127.0.0.1:11371' },
 *     },
 *   });
 *   const server = await listen(app, { host: '127.0.0.1', port: 0 }); // port 0: any free port
 *   const stats = await (await fetch(`http://${server.address}/pks/lookup?op=stats&options=mr`)).json();
 *   console.log(stats.nodename, stats.total); // example 0
 *   await server.close();
 *   await store.close();
 * }
 * main();
 * ```
 */
export { createHkpApp } from './app';
export { DEFAULT_HKP_OPTIONS } from './deps';
export type { HkpDeps, HkpOptions, QuorumServing, WorkerLink } from './deps';
export { ClusterStartError, HkpCluster, WORKER_ENV } from './cluster/primary';
export type { HkpClusterOptions } from './cluster/primary';
export { joinCluster, reportListening, reportListenFailed } from './cluster/worker';
export type { JoinedCluster } from './cluster/worker';
export type { RateLimitOptions } from './ratelimit';
export { listen, ListenError } from './server';
export type { ListenOptions, RunningServer } from './server';
export { HkpMetrics } from './metrics-registry';
export { Stats } from './stats-view';
export type { PeerView, QuorumKeyView, QuorumStatsView, QuorumVersionView, ServerIdentity, StatsView } from './stats-view';
export { keyView } from './model';
export type { KeyView } from './model';
export { presentedBytes } from './present';
export { escapeUid } from './mr-index';
export { encodeHashQueryResponse, parseHashQuery } from './hashquery-codec';
