/**
 * `dkeyserv serve` (HKP and recon in one process, the default), `dkeyserv db` (HKP only) and
 * `dkeyserv recon` (recon only: it advertises the HKP port of the config for hashquery, so a
 * `db` process on the same data directory must serve it). Stops cleanly on SIGINT/SIGTERM.
 */
import { hostname } from 'node:os';
import { createHkpApp, HkpMetrics, listen, ListenError, RunningServer } from '@dkeyserv/hkp';
import { isKeyringError, Packet, splitKeyring } from '@dkeyserv/pgp';
import { DEFAULT_REQUESTER_OPTIONS, DEFAULT_RESPONDER_OPTIONS, Partner, readMembership, ReconPeer, SKS_PTREE_PARAMS } from '@dkeyserv/recon';
import { attestStored } from '@dkeyserv/quorum';
import { attestationSet, quorumServing } from './quorum-node';
import { Config } from './config';
import { CliError } from './errors';
import { logger } from './logger';
import { openStore } from './store';

/** The recon protocol version SKS and conflux send (docs/recon.md §4). */
const RECON_VERSION = '1.1.6';

/** Which servers a process runs. */
export interface ServerParts {
  hkp: boolean;
  recon: boolean;
}

export async function runServer(config: Config, version: string, parts: ServerParts): Promise<void> {
  const log = logger('serve');
  const { store, trees, quorum } = openStore(config.data, { limits: config.limits, quorum: config.quorum, policies: config.recon.policies });
  if (quorum) {
    // keys stored before quorum mode (or under another policy) get this node's attestation now
    const n = attestStored(store, quorum.attestations, quorum.identity);
    if (n > 0) log.info(`attested ${n} stored key versions as ${quorum.identity.idText}`);
    log.info(`quorum mode: policy ${quorum.policy}, this node ${quorum.identity.idText}`);
  }
  const { host, port } = config.hkp.listen;
  let http: RunningServer | undefined;
  let peer: ReconPeer | undefined;
  const metrics = new HkpMetrics();
  try {
    // HKP first: recon advertises the HTTP port actually bound (docs/recon.md §4, "http port")
    if (parts.hkp) {
      const app = createHkpApp({
        store,
        logger: logger('hkp'),
        metrics,
        peers: () => peer?.peers() ?? [],
        quorum: quorum && quorumServing(quorum, store),
        options: {
          maxBodyBytes: config.hkp.maxBodyBytes,
          bodyTimeoutMs: 30_000,
          maxResults: config.hkp.maxResults,
          rateLimit: config.hkp.rateLimit,
          identity: {
            hostname: config.hostname === 'localhost' ? hostname() : config.hostname,
            nodename: config.nodename,
            software: 'dkeyserv',
            version,
            contact: config.contact || undefined,
            httpAddr: `${host}:${port}`,
            reconAddr: config.recon.listen && parts.recon ? `${config.recon.listen.host}:${config.recon.listen.port}` : undefined,
          },
        },
      });
      http = await listen(app, { host, port });
    }
    if (parts.recon && config.recon.listen) {
      const partners = partnerList(config);
      const r = config.recon;
      peer = new ReconPeer({
        trees,
        holds: (policy, hash) => store.getByHash(hash, policy) !== undefined,
        config: { version: RECON_VERSION, httpPort: http?.port ?? port, bitQuantum: SKS_PTREE_PARAMS.bitQuantum, mbar: SKS_PTREE_PARAMS.mbar },
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
        },
        ingest: (keys) => {
          const packets: Packet[][] = [];
          for (const k of keys) for (const e of splitKeyring(k)) if (!isKeyringError(e)) packets.push(e.packets);
          const results = store.ingestMany(packets);
          const rejected = results.filter((x) => x.status === 'rejected');
          if (rejected.length) log.warn(`recovered keys rejected: ${rejected.map((x) => x.reason).join(', ')}`);
        },
      });
      const addr = await peer.start();
      log.info(`recon on ${addr}; partners: ${partners().map((p) => p.name).join(', ') || 'none'}`);
    }
    // logged once everything listens: a failure above is the only line a user sees
    if (http) log.info(`serving HKP on http://${http.address} from ${config.data} (${store.count()} keys; recon policies ${store.policies.join(', ')})`);
  } catch (e) {
    await peer?.stop();
    await http?.close();
    await store.close();
    if (e instanceof ListenError || (e instanceof Error && /already in use|cannot listen/.test(e.message))) throw new CliError(e.message);
    throw e;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await peer?.stop();
  await http?.close();
  await store.close();
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
