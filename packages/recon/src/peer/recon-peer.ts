/**
 * A recon node (docs/recon.md §1, §12): it accepts recon from its partners (and loopback) as
 * requester, gossips to a random partner every interval (with jitter) as responder, and after
 * each session fetches what it lacks over hashquery from the peer's IP and advertised HTTP port.
 *
 * Recon policies (docs/recon-policies.md): the node keeps one prefix tree per policy. An incoming
 * session reads the peer's Config first and answers with the policy whose filters it sent; an
 * outgoing one uses the partner's pinned policy, else the one it last saw from that partner, else
 * the first; a refusal for filters that another of our policies matches is retried at once with
 * that policy. A fetched version that does not bring the asked hash into that policy's tree is
 * not fetched from that peer again for an hour (`Unobtainable`).
 * One session or recovery at a time: while busy, incoming connections are closed at once, as SKS
 * does (docs/recon.md §12, §13), and a gossip round is skipped. An incoming connection takes that
 * slot only once its Config exchange has passed: a few may be in that exchange at once (bounded,
 * and per address), each within `configTimeoutMs`, so a silent connection blocks nobody. Every
 * read has a deadline; a slow or dead peer only ever costs its own session.
 *
 * An extra set (dkeyserv quorum members' attestations, docs/quorum.md §7) rides on the same
 * connection: when both Configs carry its entry with the same value, the requester starts a
 * second reconciliation over the extra set's tree right after the key session's Done, and the
 * responder answers it; both then fetch what they lack from the set's own HTTP endpoint. A peer
 * without the entry (SKS, Hockeypuck, a member of another policy) sees a plain session.
 */
import { connect, createServer, Server, Socket } from 'node:net';
import type { Logger, PartnerStatus } from '@dkeyserv/db';
import { policyForFilters, RECON_POLICIES, ReconPolicyName } from '@dkeyserv/pgp';
import { ConfigMessage, PeerConfig, ReconConfig } from '../messages/config';
import { ReconTree } from '../ptree/prefix-tree';
import { DEFAULT_RECOVER_OPTIONS, recoverHashes, RecoverOptions } from '../recover/recoverer';
import { ReconConnection } from '../session/connection';
import { FoundSet } from '../session/found';
import { ReconConfigError, ReconSessionError } from '../errors';
import { exchangeConfig } from '../session/handshake';
import { DEFAULT_REQUESTER_OPTIONS, RequesterOptions, runRequester } from '../session/requester';
import { DEFAULT_RESPONDER_OPTIONS, ResponderOptions, runResponder } from '../session/responder';
import { Partner } from './partners';
import { peerSoftware, SOFTWARE_CONFIG_KEY } from './software';
import { PeerStatusBook } from './status-book';
import { Unobtainable } from './unobtainable';

/** What a session taught us of a partner (declared in db: hkp shows it, docs/architecture.md §2). */
export type PeerStatus = PartnerStatus;

/** A second set reconciled on the same connection with peers that advertise the same Config entry. */
export interface ExtraSet {
  /** for logs: what the elements are ("attestations") */
  name: string;
  /** the Config entry both sides must carry, with equal values */
  configKey: string;
  configValue: string;
  tree: ReconTree;
  /** the HTTP endpoint that answers a hashquery-shaped request for these elements */
  path: string;
  /** keep the elements fetched (raw, as the peer sent them; attacker-controlled) */
  ingest: (elements: Buffer[]) => void;
  /** whether an element (by its 16-byte id) is in our set now */
  has: (id: Buffer) => boolean;
}

/**
 * Ids of the extra set a peer offered but that did not join our set when fetched (forged,
 * malformed, superseded, not returned) are not asked of that peer again for this long, so a
 * hostile member cannot make us fetch and verify the same junk every round; at most this many per
 * peer are remembered (oldest forgotten first).
 */
const UNOBTAINABLE_TTL_MS = 3600_000;
const UNOBTAINABLE_MAX = 100_000;

export interface ReconPeerOptions {
  /** one prefix tree per kept recon policy; the first policy is the default for outgoing sessions */
  trees: ReadonlyMap<ReconPolicyName, ReconTree>;
  /** our Config but the filters (each policy has its own) */
  config: Omit<ReconConfig, 'filters'>;
  /** whether a policy's set holds this hash now (after recovery: did the fetched version bring it?) */
  holds: (policy: ReconPolicyName, hash: Buffer) => boolean;
  partners: () => Partner[];
  listen?: { host: string; port: number };
  /** ms between gossip rounds (0: never initiate) */
  gossipIntervalMs: number;
  /** store recovered keys (raw key bytes, as the peer sent them); a Promise is awaited */
  ingest: (keys: Buffer[]) => void | Promise<void>;
  logger: Logger;
  /** connect, and the whole Config exchange (docs/recon.md §11) */
  configTimeoutMs?: number;
  /** incoming connections open at once from one address */
  maxConnectionsPerIp?: number;
  /** incoming connections in their Config exchange at once */
  maxHandshakes?: number;
  /** a whole session's limit, so a peer that answers just in time cannot keep us busy (SKS: 3600 s) */
  sessionTimeoutMs?: number;
  requester?: RequesterOptions;
  responder?: ResponderOptions;
  recover?: RecoverOptions;
  /** reconciled after the key session with peers that share it */
  extra?: ExtraSet;
  /** our version, sent in the Config's `dkeyserv` entry (software.ts) */
  softwareVersion?: string;
  /** called after every session with what happened (tests, metrics) */
  onSession?: (e: SessionEvent) => void;
}

export interface SessionEvent {
  direction: 'in' | 'out';
  peer: string;
  /** when the session began (ms since the epoch): we dialled, or accepted the connection */
  startedAt: number;
  /** ms from startedAt until the reconciliation ended (Config exchange and the extra set's included) */
  reconMs?: number;
  /** ms spent fetching what it found (keys, then the extra set's elements) */
  recoveryMs?: number;
  policy?: ReconPolicyName;
  found: number;
  recovered: number;
  /** recovered versions that did not bring the asked hash */
  notConverging: number;
  /** the extra set's session, when the peer shares it */
  extra?: { found: number; recovered: number };
  error?: string;
}

/** docs/recon.md §11 */
export const DEFAULT_CONFIG_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS_PER_IP = 2;
const DEFAULT_MAX_HANDSHAKES = 4;
/** incoming connections open at once, all addresses (node's `maxConnections`) */
const MAX_INCOMING = 16;

export class ReconPeer {
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private stopped = false;
  private readonly status = new PeerStatusBook();
  /** incoming connections in their Config exchange (they do not hold the session slot) */
  private readonly handshaking = new Set<Socket>();
  /** incoming connections open, per address */
  private readonly perIp = new Map<string, number>();
  /** per peer HTTP address and set: elements not to fetch from it again for a while */
  private readonly unobtainable = new Unobtainable(UNOBTAINABLE_TTL_MS, UNOBTAINABLE_MAX);
  /** per partner name: the policy whose filters it last sent */
  private readonly learned = new Map<string, ReconPolicyName>();

  constructor(private readonly opts: ReconPeerOptions) {}

  /** Listen (if configured) and start gossiping (if an interval is set). */
  async start(): Promise<string | undefined> {
    let address: string | undefined;
    if (this.opts.listen) {
      const { host, port } = this.opts.listen;
      this.server = createServer((socket) => this.accept(socket));
      this.server.maxConnections = MAX_INCOMING;
      address = await new Promise<string>((resolve, reject) => {
        this.server!.once('error', (e: NodeJS.ErrnoException) => reject(new Error(e.code === 'EADDRINUSE' ? `${host}:${port} is already in use` : `cannot listen on ${host}:${port}: ${e.message}`)));
        this.server!.listen(port, host, () => {
          const a = this.server!.address() as { address: string; port: number };
          resolve(`${a.address}:${a.port}`);
        });
      });
    }
    this.schedule();
    return address;
  }

  /** Stop listening and gossiping; wait (up to `graceMs`) for a session in flight, which may still write to the store. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const closed = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    for (const s of this.handshaking) s.destroy();
    for (const deadline = Date.now() + graceMs; this.busy && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    await closed;
  }

  /**
   * Per-partner status for the stats page and JSON, then the recent incoming sessions that could
   * not be told apart by IP (named "IP (incoming)", bounded: status-book.ts).
   */
  peers(): PeerStatus[] {
    return this.status.list(this.opts.partners());
  }

  private schedule() {
    if (this.stopped || this.opts.gossipIntervalMs <= 0) return;
    const jitter = this.opts.gossipIntervalMs * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      this.gossipOnce().finally(() => this.schedule());
    }, jitter);
    this.timer.unref?.();
  }

  /**
   * One gossip round to a random partner (or the one given): we are the responder. A refusal for
   * filters that another of our policies matches is retried at once with that policy.
   */
  async gossipOnce(partner?: Partner): Promise<SessionEvent | undefined> {
    const partners = this.opts.partners();
    const p = partner ?? partners[Math.floor(Math.random() * partners.length)];
    if (!p || this.busy) return undefined;
    this.busy = true;
    let event: SessionEvent | undefined;
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const policy = this.outgoingPolicy(p);
        event = await this.gossipWith(p, policy);
        this.report(event);
        if (this.outgoingPolicy(p) === policy || event.found > 0) break;
      }
    } finally {
      this.busy = false;
    }
    return event;
  }

  /** The policy for an outgoing session: pinned, else last seen from this partner, else our first. */
  private outgoingPolicy(p: Partner): ReconPolicyName {
    const kept = [...this.opts.trees.keys()];
    const wanted = p.policy ?? this.learned.get(p.name);
    return wanted && kept.includes(wanted) ? wanted : kept[0];
  }

  private async gossipWith(p: Partner, policy: ReconPolicyName): Promise<SessionEvent> {
    const status = this.status.partner(p);
    const event: SessionEvent = { direction: 'out', peer: p.name, policy, startedAt: Date.now(), found: 0, recovered: 0, notConverging: 0 };
    try {
      const socket = await dial(p.host, p.port, this.opts.configTimeoutMs ?? DEFAULT_CONFIG_TIMEOUT_MS);
      await this.session(socket, 'responder', p.host, p.name, this.configFor(policy), event, status);
    } catch (e) {
      event.error = (e as Error).message;
      status.lastOutgoingError = event.error;
    }
    return event;
  }

  private allowed(ip: string): boolean {
    const plain = ip.replace(/^::ffff:/, '');
    if (plain === '127.0.0.1' || plain.startsWith('127.') || plain === '::1') return true;
    return this.opts.partners().some((p) => p.host === plain);
  }

  /**
   * An incoming session: we are the requester, and answer with the policy of the peer's filters.
   * The connection takes the session slot once its Config exchange has passed (`claim`).
   */
  private accept(socket: Socket) {
    const ip = socket.remoteAddress ?? '';
    if (!this.allowed(ip)) {
      this.opts.logger.warn('recon refused: not a partner', { ip });
      socket.destroy();
      return;
    }
    const plain = ip.replace(/^::ffff:/, '');
    const open = this.perIp.get(plain) ?? 0;
    const full = open >= (this.opts.maxConnectionsPerIp ?? DEFAULT_MAX_CONNECTIONS_PER_IP) || this.handshaking.size >= (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES);
    if (this.busy || this.stopped || full) {
      socket.destroy(); // busy: closed without a byte, as SKS does (docs/recon.md §12)
      return;
    }
    this.perIp.set(plain, open + 1);
    socket.once('close', () => {
      const n = (this.perIp.get(plain) ?? 1) - 1;
      if (n > 0) this.perIp.set(plain, n);
      else this.perIp.delete(plain);
    });
    this.handshaking.add(socket);
    let claimed = false;
    const claim = (): boolean => {
      this.handshaking.delete(socket);
      if (this.busy || this.stopped) return false;
      return (this.busy = claimed = true);
    };
    // an incoming session names its partner only when one partner alone has that IP: peers
    // connect from ephemeral ports, so partners sharing an address cannot be told apart
    const sameIp = this.opts.partners().filter((p) => p.host === plain);
    const partner = sameIp.length === 1 ? sameIp[0] : undefined;
    const status = partner ? this.status.partner(partner) : this.status.incomingFrom(plain);
    const event: SessionEvent = { direction: 'in', peer: status.name, startedAt: Date.now(), found: 0, recovered: 0, notConverging: 0 };
    this.session(socket, 'requester', plain, status.name, (remote) => this.answerConfig(remote, partner), event, status, claim)
      .catch((e) => {
        event.error = (e as Error).message;
      })
      .finally(() => {
        this.handshaking.delete(socket);
        if (claimed) this.busy = false;
        this.report(event);
      });
  }

  /**
   * One session on an open socket, either role: the Config exchange, the key session on the
   * chosen policy's tree, the extra set's session if the peer shares it, then recovery of what was
   * found (partial results of a broken session too, docs/recon.md §9). `claim` (incoming) takes
   * the session slot after the Config exchange; if another session has it, the peer is told so.
   */
  private async session(
    socket: Socket,
    role: 'requester' | 'responder',
    host: string,
    name: string,
    config: ReconConfig | ((remote: ConfigMessage) => ReconConfig),
    event: SessionEvent,
    status: PeerStatus,
    claim?: () => boolean,
  ): Promise<void> {
    const conn = new ReconConnection(socket);
    const guard = this.guard(socket);
    const found = new FoundSet();
    const extraFound = new FoundSet();
    let peer: PeerConfig | undefined;
    let policy: ReconPolicyName | undefined;
    const outgoing = role === 'responder';
    try {
      // as initiator our Config goes first; as acceptor it answers the peer's (handshake.ts)
      const x = await exchangeConfig(conn, config, this.opts.configTimeoutMs ?? DEFAULT_CONFIG_TIMEOUT_MS);
      if (claim && !claim()) {
        conn.write({ type: 'Error', text: 'busy with another session; try again later' });
        throw new ReconSessionError('busy with another session (the peer was told)');
      }
      peer = x.peer;
      policy = this.policyOf(x.local);
      event.policy = policy;
      this.noteSoftware(name, x.remote, status);
      const run = (tree: ReconTree, into: FoundSet) =>
        role === 'requester' ? runRequester(conn, tree, into, this.opts.requester ?? DEFAULT_REQUESTER_OPTIONS) : runResponder(conn, tree, into, this.opts.responder ?? DEFAULT_RESPONDER_OPTIONS);
      await run(this.opts.trees.get(policy)!, found);
      const extra = this.sharedExtra(peer);
      if (extra) await run(extra.tree, extraFound);
      if (outgoing) status.lastOutgoingRecon = new Date().toISOString();
      else status.lastIncomingRecon = new Date().toISOString();
      if (outgoing) status.lastOutgoingError = undefined;
      else status.lastIncomingError = undefined;
    } catch (e) {
      event.error = (e as Error).message;
      if (e instanceof ReconConfigError && e.remote) {
        const theirs = this.noteSoftware(name, e.remote, status);
        if (!policyForFilters([...this.opts.trees.keys()], theirs)) {
          const ours = [...this.opts.trees.keys()].map((p) => `${p} "${RECON_POLICIES[p].filters}"`).join(', ');
          event.error += ` (the peer's filters "${theirs}" match none of ours: ${ours})`;
        }
      }
      if (outgoing) status.lastOutgoingError = event.error;
      else status.lastIncomingError = event.error;
    } finally {
      clearTimeout(guard);
      conn.close();
      event.reconMs = Date.now() - event.startedAt;
    }
    if (policy) {
      const t0 = Date.now();
      await this.recoverAll(host, policy, peer, found, extraFound, event, status);
      event.recoveryMs = Date.now() - t0;
    }
  }

  /** Ends a session that outlives sessionTimeoutMs. */
  private guard(socket: Socket): NodeJS.Timeout {
    const ms = this.opts.sessionTimeoutMs ?? 900_000;
    return setTimeout(() => socket.destroy(new Error(`the session exceeded its limit of ${ms / 1000} s`)), ms);
  }

  /**
   * What the peer's Config says it runs; the policy is remembered for our next outgoing session.
   * Returns the peer's filter string.
   */
  private noteSoftware(name: string, remote: ConfigMessage, status: PeerStatus): string {
    const s = peerSoftware(remote);
    status.software = s.software;
    status.filters = s.filters;
    const ours = policyForFilters([...this.opts.trees.keys()], s.filters);
    if (ours) {
      status.policy = ours.name;
      this.learned.set(name, ours.name);
    }
    return s.filters;
  }

  /**
   * As acceptor: the Config of the policy whose filters the peer sent (a pinned partner gets only
   * its policy). None matching: our first policy's Config, which the check then refuses (the
   * session's log line shows the peer's filter string and ours).
   */
  private answerConfig(remote: ConfigMessage, partner: Partner | undefined): ReconConfig {
    const kept = [...this.opts.trees.keys()];
    const filters = new Map(remote.entries).get('filters')?.toString('utf8') ?? '';
    const allowed = partner?.policy && kept.includes(partner.policy) ? [partner.policy] : kept;
    return this.configFor(policyForFilters(allowed, filters)?.name ?? allowed[0]);
  }

  /** Our Config for a policy, with our software entry and the extra set's. */
  private configFor(policy: ReconPolicyName): ReconConfig {
    const custom: (readonly [string, string])[] = [...(this.opts.config.custom ?? []), [SOFTWARE_CONFIG_KEY, this.opts.softwareVersion ?? '0']];
    const x = this.opts.extra;
    if (x) custom.push([x.configKey, x.configValue]);
    return { ...this.opts.config, filters: RECON_POLICIES[policy].filters, custom };
  }

  private policyOf(config: ReconConfig): ReconPolicyName {
    return [...this.opts.trees.keys()].find((p) => RECON_POLICIES[p].filters === config.filters)!;
  }

  /** The extra set, if the peer's Config carries its entry with our value. */
  private sharedExtra(peer: PeerConfig): ExtraSet | undefined {
    const x = this.opts.extra;
    return x && peer.custom.get(x.configKey) === x.configValue ? x : undefined;
  }

  /**
   * Fetch what a session found missing: keys over hashquery, then the extra set's elements. After a
   * clean fetch, what still did not join our set is not asked of that peer again for a while.
   */
  private async recoverAll(host: string, policy: ReconPolicyName, peer: PeerConfig | undefined, found: FoundSet, extraFound: FoundSet, event: SessionEvent, status: PeerStatus) {
    event.found = found.size;
    const httpPort = peer?.httpPort;
    if (httpPort === undefined) return;
    const from = `${host}:${httpPort}`;
    status.httpAddr = from;
    const opts = this.opts.recover ?? DEFAULT_RECOVER_OPTIONS;
    const fetch = async (set: string, elements: Buffer[], ingest: (e: Buffer[]) => void, holds: (e: Buffer) => boolean, path?: string) => {
      const wanted = this.unobtainable.wanted(`${from} ${set}`, elements);
      if (wanted.length === 0) return { received: 0, notConverging: 0 };
      const r = await recoverHashes({ host, port: httpPort }, wanted, ingest, path ? { ...opts, path } : opts);
      status.lastRecovery = new Date().toISOString();
      status.lastRecoveryError = r.errors.length ? r.errors[r.errors.length - 1] : undefined;
      // only after a clean fetch: a network error must not hide honest elements for an hour
      const notConverging = r.errors.length ? 0 : this.unobtainable.settle(`${from} ${set}`, wanted, holds);
      return { received: r.received, notConverging };
    };
    if (found.size > 0) {
      const r = await fetch(policy, found.hashes(), this.opts.ingest, (h) => this.opts.holds(policy, h));
      event.recovered = r.received;
      event.notConverging = r.notConverging;
      status.keysRecovered += r.received;
      status.keysNotConverging += r.notConverging;
    }
    const extra = peer && this.sharedExtra(peer);
    if (!extra) return;
    event.extra = { found: extraFound.size, recovered: 0 };
    if (extraFound.size === 0) return;
    // (after the keys: an attestation is only useful with its key, and keys come first)
    const r = await fetch(extra.name, extraFound.hashes(), extra.ingest, extra.has, extra.path);
    event.extra.recovered = r.received;
    status.extraRecovered = (status.extraRecovered ?? 0) + r.received;
  }

  private report(e: SessionEvent) {
    const meta = {
      direction: e.direction,
      peer: e.peer,
      policy: e.policy,
      found: e.found,
      recovered: e.recovered,
      notConverging: e.notConverging,
      extra: e.extra,
      startedAt: new Date(e.startedAt).toISOString(),
      reconMs: e.reconMs,
      recoveryMs: e.recoveryMs,
    };
    const extra = e.extra && this.opts.extra ? `; ${this.opts.extra.name}: ${e.extra.found} missing here, ${e.extra.recovered} recovered` : '';
    const stuck = e.notConverging ? ` (${e.notConverging} did not bring the asked hash; not fetched from this peer again for an hour)` : '';
    const where = `recon ${e.direction === 'in' ? 'from' : 'to'} ${e.peer}${e.policy ? ` [${e.policy}]` : ''}`;
    if (e.error) this.opts.logger.warn(`${where} failed: ${e.error}${extra}`, meta);
    else this.opts.logger.info(`${where}: ${e.found} missing here, ${e.recovered} recovered${stuck}${extra}`, meta);
    this.opts.onSession?.(e);
  }
}

function dial(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`connecting to ${host}:${port} timed out`)), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot connect to ${host}:${port}: ${e.message}`));
    });
  });
}
