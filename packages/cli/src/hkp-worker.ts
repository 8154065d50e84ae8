/**
 * An HKP process's options from the config, and the main of an HKP worker (docs/operations.md
 * §12): a process the `serve`/`db` primary forked (`HkpCluster`) that serves HKP from a read-only
 * view of the one LMDB environment on the shared listening socket, and has the primary store
 * uploads. Stops on SIGTERM/SIGINT, or when the primary goes away.
 */
import { hostname } from 'node:os';
import { createHkpApp, HkpMetrics, HkpOptions, joinCluster, listen, ListenOptions, reportListenFailed, reportListening } from '@dkeyserv/hkp';
import { Config } from './config';
import { logger } from './logger';
import { openStore } from './store';

/** What any HKP process of this config serves with; `cacheBytes` is this process's share. */
export function hkpOptions(config: Config, version: string, withRecon: boolean, cacheBytes: number): HkpOptions {
  const { host, port } = config.hkp.listen;
  return {
    maxBodyBytes: config.hkp.maxBodyBytes,
    bodyTimeoutMs: 30_000,
    maxResults: config.hkp.maxResults,
    rateLimit: config.hkp.rateLimit,
    cacheBytes,
    identity: {
      hostname: config.hostname === 'localhost' ? hostname() : config.hostname,
      nodename: config.nodename,
      software: 'dkeyserv',
      version,
      contact: config.contact || undefined,
      httpAddr: `${host}:${port}`,
      reconAddr: config.recon.listen && withRecon ? `${config.recon.listen.host}:${config.recon.listen.port}` : undefined,
    },
  };
}

/** Where and how an HKP process listens: the address and its connection limits (docs/hkp.md §10). */
export function listenOptions(config: Config): ListenOptions {
  const { listen, maxConnectionsPerIp, firstByteTimeout } = config.hkp;
  return { ...listen, maxConnectionsPerIp, firstByteTimeoutMs: Math.max(1, firstByteTimeout) * 1000 };
}

/** Worker `worker` of `workers`: serve until told to stop. */
export async function runHkpWorker(config: Config, version: string, withRecon: boolean, worker: number, workers: number): Promise<void> {
  const log = logger(`hkp-${worker}`);
  const metrics = new HkpMetrics();
  const joined = joinCluster(worker, metrics);
  // read-only: the primary is the one writer (docs/architecture.md §6); LMDB read transactions see its commits
  const { store } = openStore(config.data, { readOnly: true, limits: config.limits });
  const app = createHkpApp({
    store,
    logger: log,
    metrics,
    peers: joined.peers,
    cluster: joined.link,
    options: hkpOptions(config, version, withRecon, Math.floor(config.hkp.cacheBytes / workers)),
  });
  let http;
  try {
    http = await listen(app, { ...listenOptions(config), shared: joined.ipCounts(config.hkp.maxConnectionsPerIp, workers) });
  } catch (e) {
    reportListenFailed((e as Error).message);
    await store.close();
    process.exit(2);
  }
  reportListening(http.port);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    process.once('disconnect', resolve);
  });
  await http.close();
  await store.close();
  process.exit(0);
}
