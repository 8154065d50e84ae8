/**
 * `dkeyserv serve` (HKP and recon in one process, the default), `dkeyserv db` (HKP only) and
 * `dkeyserv recon` (recon only: it advertises the HKP port of the config for hashquery, so a
 * `db` process on the same data directory must serve it). Stops cleanly on SIGINT/SIGTERM.
 * With more than one HKP worker (`[hkp] workers`, docs/operations.md §12) this process is the
 * primary: the one writer, recon and quorum, and HKP is served by the workers it forks
 * (`HkpCluster`), each of which runs this command again and lands in `runHkpWorker`.
 * Uploads and recovered recon keys have their signatures checked on this process's PreparePool
 * (`[hkp] verifyThreads` worker threads, each key within `[limits] keyBudgetMs`), so the event loop
 * that serves and writes is never held by an expensive key (docs/operations.md §13).
 */
import { availableParallelism } from 'node:os';
import { PreparePool, prepareMerged } from '@dkeyserv/db';
import { ClusterStartError, createHkpApp, HkpCluster, HkpMetrics, listen, ListenError, RunningServer, WORKER_ENV } from '@dkeyserv/hkp';
import { isKeyringError, Packet, splitKeyring } from '@dkeyserv/pgp';
import { DEFAULT_REQUESTER_OPTIONS, DEFAULT_RESPONDER_OPTIONS, Partner, readMembership, ReconPeer, SKS_PTREE_PARAMS } from '@dkeyserv/recon';
import { attestStored } from '@dkeyserv/quorum';
import { attestationSet, quorumServing } from './quorum-node';
import { Config } from './config';
import { CliError } from './errors';
import { hkpOptions, listenOptions, runHkpWorker } from './hkp-worker';
import { logger } from './logger';
import { openStore } from './store';

/** The recon protocol version SKS and conflux send (docs/recon.md §4). */
const RECON_VERSION = '1.1.6';

/** Which servers a process runs. */
export interface ServerParts {
  hkp: boolean;
  recon: boolean;
}

/** most HKP worker processes */
const MAX_WORKERS = 64;

export async function runServer(config: Config, version: string, parts: ServerParts): Promise<void> {
  const asWorker = /^(\d+)\/(\d+)$/.exec(process.env[WORKER_ENV] ?? '');
  if (asWorker) return runHkpWorker(config, version, parts.recon, Number(asWorker[1]), Number(asWorker[2]));
  const log = logger('serve');
  // taken from the start: a signal while workers start up stops the server once they have
  const stopSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  const { store, trees, quorum } = openStore(config.data, { limits: config.limits, quorum: config.quorum, policies: config.recon.policies, blocked: config.policy.blocked, liftUnlisted: true });
  if (quorum) {
    // keys stored before quorum mode (or under another policy) get this node's attestation now
    const n = attestStored(store, quorum.attestations, quorum.identity);
    if (n > 0) log.info(`attested ${n} stored key versions as ${quorum.identity.idText}`);
    log.info(`quorum mode: policy ${quorum.policy}, this node ${quorum.identity.idText}`);
  }
  const { host, port } = config.hkp.listen;
  const workers = parts.hkp ? workerCount(config, quorum !== undefined) : 0;
  let http: RunningServer | undefined;
  let hkpCluster: HkpCluster | undefined;
  let httpPort: number | undefined;
  let peer: ReconPeer | undefined;
  const metrics = new HkpMetrics();
  const budget = config.limits.keyBudgetMs;
  const pool = new PreparePool(verifyThreads(config), { ...store.prepareOptions, budgetMs: budget > 0 ? budget : undefined });
  try {
    // HKP first: recon advertises the HTTP port actually bound (docs/recon.md §4, "http port")
    if (workers > 1) {
      hkpCluster = await HkpCluster.start({ workers, store, logger: logger('hkp'), metrics, peers: () => peer?.peers() ?? [], preparer: pool, maxConnectionsPerIp: config.hkp.maxConnectionsPerIp, rateLimit: config.hkp.rateLimit });
      httpPort = hkpCluster.port;
    } else if (parts.hkp) {
      const app = createHkpApp({
        store,
        logger: logger('hkp'),
        metrics,
        peers: () => peer?.peers() ?? [],
        quorum: quorum && quorumServing(quorum, store),
        preparer: pool,
        options: hkpOptions(config, version, parts.recon, config.hkp.cacheBytes),
      });
      http = await listen(app, listenOptions(config));
      httpPort = http.port;
    }
    if (parts.recon && config.recon.listen) {
      const partners = partnerList(config);
      const r = config.recon;
      peer = new ReconPeer({
        trees,
        holds: (policy, hash) => store.getByHash(hash, policy) !== undefined,
        config: { version: RECON_VERSION, httpPort: httpPort ?? port, bitQuantum: SKS_PTREE_PARAMS.bitQuantum, mbar: SKS_PTREE_PARAMS.mbar },
        softwareVersion: version,
        partners,
        listen: r.listen,
        gossipIntervalMs: r.gossipInterval * 1000,
        configTimeoutMs: r.configTimeout * 1000,
        sessionTimeoutMs: r.sessionTimeout * 1000,
        requester: { ...DEFAULT_REQUESTER_OPTIONS, replyTimeoutMs: r.messageTimeout * 1000 },
        responder: { ...DEFAULT_RESPONDER_OPTIONS, requestTimeoutMs: r.messageTimeout * 1000 },
        logger: logger('recon'),
        extra: quorum && attestationSet(quorum, store),
        onSession: (e) => {
          metrics.reconSessions.inc({ direction: e.direction, result: e.error ? 'failure' : 'success' });
          metrics.reconRecovered.inc(e.recovered);
          metrics.reconNotConverging.inc(e.notConverging);
          hkpCluster?.pushPeers();
        },
        ingest: async (keys) => {
          const packets: Packet[][] = [];
          for (const k of keys) for (const e of splitKeyring(k)) if (!isKeyringError(e)) packets.push(e.packets);
          const results = store.commit(await prepareMerged(store, pool, packets));
          const rejected = results.filter((x) => x.status === 'rejected');
          if (rejected.length) log.warn(`recovered keys rejected: ${rejected.map((x) => x.reason).join(', ')}`);
        },
      });
      const addr = await peer.start();
      log.info(`recon on ${addr}; partners: ${partners().map((p) => p.name).join(', ') || 'none'}`);
    }
    // logged once everything listens: a failure above is the only line a user sees
    const address = http?.address ?? (hkpCluster && `${host}:${hkpCluster.port}`);
    const processes = hkpCluster ? `; ${workers} HKP workers` : '';
    if (address) log.info(`serving HKP on http://${address} from ${config.data} (${store.count()} keys; recon policies ${store.policies.join(', ')}${processes})`);
  } catch (e) {
    await peer?.stop();
    await hkpCluster?.stop();
    await http?.close();
    await pool.close();
    await store.close();
    if (e instanceof ListenError || e instanceof ClusterStartError || (e instanceof Error && /already in use|cannot listen/.test(e.message))) throw new CliError(e.message);
    throw e;
  }
  log.info(`${await stopSignal}: stopping`);
  // the workers got the same SIGINT from a terminal: mark them stopping before their exits arrive
  await Promise.all([peer?.stop(), hkpCluster?.stop()]);
  await http?.close();
  await pool.close();
  await store.close();
}

/** `[hkp] verifyThreads` (0: one thread, two from 4 cores: the HKP workers keep the rest, docs/operations.md §13). */
function verifyThreads(config: Config): number {
  return config.hkp.verifyThreads || (availableParallelism() >= 4 ? 2 : 1);
}

/** `[hkp] workers` (0: one per core); quorum mode serves from this one process (docs/operations.md §12). */
function workerCount(config: Config, quorumMode: boolean): number {
  const asked = config.hkp.workers || availableParallelism();
  if (quorumMode && asked > 1) {
    logger('serve').info('quorum mode: HKP is served by this one process');
    return 1;
  }
  return Math.min(asked, MAX_WORKERS);
}

/** Partners from the config and flags, plus the membership file re-read when it changes. */
function partnerList(config: Config): () => Partner[] {
  const fixed = config.recon.peers.map((p) => ({ host: p.host, port: p.port, name: `${p.host}:${p.port}`, policy: p.policy }));
  if (!config.recon.membership) return () => fixed;
  const file = config.recon.membership;
  const log = logger('recon');
  let cached: Partner[] = [];
  let loadedAt = 0;
  return () => {
    // re-read at most every few seconds: SKS reloads membership when it changes (docs/recon.md §12)
    if (Date.now() - loadedAt > 5000) {
      loadedAt = Date.now();
      try {
        const m = readMembership(file);
        for (const line of m.skipped) log.warn(`membership ${file}: skipped ${line}`);
        cached = m.partners;
      } catch (e) {
        log.warn(`membership ${file}: ${(e as Error).message}`);
      }
    }
    return [...fixed, ...cached];
  };
}
