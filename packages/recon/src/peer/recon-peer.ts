/**
 * A recon node (spec/recon.md §1, §7): it accepts recon from its partners (and loopback) as
 * requester, gossips to a random partner every interval (with jitter) as responder, and after
 * each session fetches what it lacks over hashquery from the peer's IP and advertised HTTP port.
 * One session or recovery at a time: while busy, incoming connections are closed at once, as SKS
 * does (§4.5), and a gossip round is skipped. Every read has a deadline; a slow or dead peer only
 * ever costs its own session.
 *
 * An extra set (dkeyserv quorum members' attestations, DESIGN.md §6) rides on the same
 * connection: when both Configs carry its entry with the same value, the requester starts a
 * second reconciliation over the extra set's tree right after the key session's Done, and the
 * responder answers it; both then fetch what they lack from the set's own HTTP endpoint. A peer
 * without the entry (SKS, Hockeypuck, a member of another policy) sees a plain session.
 */
import { connect, createServer, Server, Socket } from 'node:net';
import type { Logger } from '@dkeyserv/db';
import { PeerConfig, ReconConfig } from '../messages/config';
import { ReconTree } from '../ptree/prefix-tree';
import { DEFAULT_RECOVER_OPTIONS, recoverHashes, RecoverOptions } from '../recover/recoverer';
import { ReconConnection } from '../session/connection';
import { FoundSet } from '../session/found';
import { exchangeConfig } from '../session/handshake';
import { DEFAULT_REQUESTER_OPTIONS, RequesterOptions, runRequester } from '../session/requester';
import { DEFAULT_RESPONDER_OPTIONS, ResponderOptions, runResponder } from '../session/responder';
import { Partner } from './partners';

export interface PeerStatus {
  name: string;
  reconAddr: string;
  httpAddr?: string;
  lastIncomingRecon?: string;
  lastIncomingError?: string;
  lastOutgoingRecon?: string;
  lastOutgoingError?: string;
  lastRecovery?: string;
  lastRecoveryError?: string;
  keysRecovered: number;
  /** elements of the extra set recovered from this peer (attestations) */
  extraRecovered?: number;
}

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
  tree: ReconTree;
  /** our Config: filters of the recon policy, our HTTP port */
  config: ReconConfig;
  partners: () => Partner[];
  listen?: { host: string; port: number };
  /** ms between gossip rounds (0: never initiate) */
  gossipIntervalMs: number;
  /** store recovered keys (raw key bytes, as the peer sent them) */
  ingest: (keys: Buffer[]) => void;
  logger: Logger;
  configTimeoutMs?: number;
  /** a whole session's limit, so a peer that answers just in time cannot keep us busy (SKS: 3600 s) */
  sessionTimeoutMs?: number;
  requester?: RequesterOptions;
  responder?: ResponderOptions;
  recover?: RecoverOptions;
  /** reconciled after the key session with peers that share it */
  extra?: ExtraSet;
  /** called after every session with what happened (tests, metrics) */
  onSession?: (e: SessionEvent) => void;
}

export interface SessionEvent {
  direction: 'in' | 'out';
  peer: string;
  found: number;
  recovered: number;
  /** the extra set's session, when the peer shares it */
  extra?: { found: number; recovered: number };
  error?: string;
}

export class ReconPeer {
  private server?: Server;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private stopped = false;
  private readonly status = new Map<string, PeerStatus>();
  /** per peer HTTP address: extra-set ids (hex) not to fetch from it again before the time given */
  private readonly unobtainable = new Map<string, Map<string, number>>();

  constructor(private readonly opts: ReconPeerOptions) {}

  /** Listen (if configured) and start gossiping (if an interval is set). */
  async start(): Promise<string | undefined> {
    let address: string | undefined;
    if (this.opts.listen) {
      const { host, port } = this.opts.listen;
      this.server = createServer((socket) => this.accept(socket));
      this.server.maxConnections = 16;
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
    for (const deadline = Date.now() + graceMs; this.busy && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    await closed;
  }

  /**
   * Per-partner status for the stats page and JSON, then any incoming sessions that could not be
   * told apart by IP (named "IP (incoming)").
   */
  peers(): PeerStatus[] {
    const partners = this.opts.partners().map((p) => this.statusOf(p.name, `${p.host}:${p.port}`));
    const named = new Set(partners.map((p) => p.name));
    return [...partners, ...[...this.status.values()].filter((s) => !named.has(s.name))];
  }

  private statusOf(name: string, reconAddr: string): PeerStatus {
    let s = this.status.get(name);
    if (!s) {
      s = { name, reconAddr, keysRecovered: 0 };
      this.status.set(name, s);
    }
    return s;
  }

  private schedule() {
    if (this.stopped || this.opts.gossipIntervalMs <= 0) return;
    const jitter = this.opts.gossipIntervalMs * (0.9 + Math.random() * 0.2);
    this.timer = setTimeout(() => {
      this.gossipOnce().finally(() => this.schedule());
    }, jitter);
    this.timer.unref?.();
  }

  /** One gossip round to a random partner (or the one given): we are the responder. */
  async gossipOnce(partner?: Partner): Promise<SessionEvent | undefined> {
    const partners = this.opts.partners();
    const p = partner ?? partners[Math.floor(Math.random() * partners.length)];
    if (!p || this.busy) return undefined;
    this.busy = true;
    const status = this.statusOf(p.name, `${p.host}:${p.port}`);
    const event: SessionEvent = { direction: 'out', peer: p.name, found: 0, recovered: 0 };
    try {
      const socket = await dial(p.host, p.port, this.opts.configTimeoutMs ?? 30_000);
      const found = new FoundSet();
      const extraFound = new FoundSet();
      let peer: PeerConfig | undefined;
      const conn = new ReconConnection(socket);
      const guard = this.guard(socket);
      try {
        peer = await exchangeConfig(conn, this.config(), this.opts.configTimeoutMs ?? 30_000);
        await this.reconcile(conn, peer, 'responder', found, extraFound);
        status.lastOutgoingRecon = new Date().toISOString();
        status.lastOutgoingError = undefined;
      } catch (e) {
        event.error = (e as Error).message;
        status.lastOutgoingError = event.error;
      } finally {
        clearTimeout(guard);
        conn.close();
      }
      // partial results of a broken session are recovered too (spec §6.4)
      await this.recoverAll(p.host, peer, found, extraFound, event, status);
    } catch (e) {
      event.error = (e as Error).message;
      status.lastOutgoingError = event.error;
    } finally {
      this.busy = false;
    }
    this.report(event);
    return event;
  }

  private allowed(ip: string): boolean {
    const plain = ip.replace(/^::ffff:/, '');
    if (plain === '127.0.0.1' || plain.startsWith('127.') || plain === '::1') return true;
    return this.opts.partners().some((p) => p.host === plain);
  }

  /** An incoming session: we are the requester. */
  private accept(socket: Socket) {
    const ip = socket.remoteAddress ?? '';
    if (!this.allowed(ip)) {
      this.opts.logger.warn('recon refused: not a partner', { ip });
      socket.destroy();
      return;
    }
    if (this.busy || this.stopped) {
      socket.destroy(); // busy: closed without a byte, as SKS does (spec §4.5)
      return;
    }
    this.busy = true;
    const plain = ip.replace(/^::ffff:/, '');
    // an incoming session names its partner only when one partner alone has that IP: peers
    // connect from ephemeral ports, so partners sharing an address cannot be told apart
    const sameIp = this.opts.partners().filter((p) => p.host === plain);
    const partner = sameIp.length === 1 ? sameIp[0] : undefined;
    const name = partner?.name ?? `${plain} (incoming)`;
    const status = this.statusOf(name, partner ? `${partner.host}:${partner.port}` : plain);
    const event: SessionEvent = { direction: 'in', peer: name, found: 0, recovered: 0 };
    const conn = new ReconConnection(socket);
    const found = new FoundSet();
    const guard = this.guard(socket);
    (async () => {
      let peer: PeerConfig | undefined;
      const extraFound = new FoundSet();
      try {
        peer = await exchangeConfig(conn, this.config(), this.opts.configTimeoutMs ?? 30_000);
        await this.reconcile(conn, peer, 'requester', found, extraFound);
        status.lastIncomingRecon = new Date().toISOString();
        status.lastIncomingError = undefined;
      } catch (e) {
        event.error = (e as Error).message;
        status.lastIncomingError = event.error;
      } finally {
        clearTimeout(guard);
        conn.close();
      }
      await this.recoverAll(plain, peer, found, extraFound, event, status);
    })()
      .catch((e) => {
        event.error = (e as Error).message;
      })
      .finally(() => {
        this.busy = false;
        this.report(event);
      });
  }

  /** Ends a session that outlives sessionTimeoutMs. */
  private guard(socket: Socket): NodeJS.Timeout {
    const ms = this.opts.sessionTimeoutMs ?? 900_000;
    return setTimeout(() => socket.destroy(new Error(`the session exceeded its limit of ${ms / 1000} s`)), ms);
  }

  /** The key session in our role, then the extra set's session on the same connection if the peer shares it. */
  private async reconcile(conn: ReconConnection, peer: PeerConfig, role: 'requester' | 'responder', found: FoundSet, extraFound: FoundSet) {
    const run = (tree: ReconTree, into: FoundSet) =>
      role === 'requester' ? runRequester(conn, tree, into, this.opts.requester ?? DEFAULT_REQUESTER_OPTIONS) : runResponder(conn, tree, into, this.opts.responder ?? DEFAULT_RESPONDER_OPTIONS);
    await run(this.opts.tree, found);
    const extra = this.sharedExtra(peer);
    if (extra) await run(extra.tree, extraFound);
  }

  /** Our Config, with the extra set's entry. */
  private config(): ReconConfig {
    const x = this.opts.extra;
    if (!x) return this.opts.config;
    return { ...this.opts.config, custom: [...(this.opts.config.custom ?? []), [x.configKey, x.configValue]] };
  }

  /** The extra set, if the peer's Config carries its entry with our value. */
  private sharedExtra(peer: PeerConfig): ExtraSet | undefined {
    const x = this.opts.extra;
    return x && peer.custom.get(x.configKey) === x.configValue ? x : undefined;
  }

  /** Fetch what a session found missing: keys over hashquery, then the extra set's elements. */
  private async recoverAll(host: string, peer: PeerConfig | undefined, found: FoundSet, extraFound: FoundSet, event: SessionEvent, status: PeerStatus) {
    event.found = found.size;
    const httpPort = peer?.httpPort;
    if (httpPort === undefined) return;
    status.httpAddr = `${host}:${httpPort}`;
    const opts = this.opts.recover ?? DEFAULT_RECOVER_OPTIONS;
    if (found.size > 0) {
      const r = await recoverHashes({ host, port: httpPort }, found.hashes(), this.opts.ingest, opts);
      event.recovered = r.received;
      status.keysRecovered += r.received;
      status.lastRecovery = new Date().toISOString();
      status.lastRecoveryError = r.errors.length ? r.errors[r.errors.length - 1] : undefined;
    }
    const extra = peer && this.sharedExtra(peer);
    if (!extra) return;
    event.extra = { found: extraFound.size, recovered: 0 };
    const from = `${host}:${httpPort}`;
    const skip = this.unobtainable.get(from) ?? new Map<string, number>();
    this.unobtainable.set(from, skip);
    const now = Date.now();
    const wanted = extraFound.hashes().filter((id) => !((skip.get(id.toString('hex')) ?? 0) > now));
    if (wanted.length === 0) return;
    // (after the keys: an attestation is only useful with its key, and keys come first)
    const r = await recoverHashes({ host, port: httpPort }, wanted, extra.ingest, { ...opts, path: extra.path });
    event.extra.recovered = r.received;
    status.extraRecovered = (status.extraRecovered ?? 0) + r.received;
    status.lastRecovery = new Date().toISOString();
    if (r.errors.length) status.lastRecoveryError = r.errors[r.errors.length - 1];
    // only after a clean fetch: a network error must not hide honest elements for an hour
    else {
      for (const id of wanted) {
        if (extra.has(id)) continue;
        const hex = id.toString('hex');
        skip.delete(hex);
        skip.set(hex, now + UNOBTAINABLE_TTL_MS);
      }
      for (const hex of skip.keys()) {
        if (skip.size <= UNOBTAINABLE_MAX) break;
        skip.delete(hex);
      }
    }
  }

  private report(e: SessionEvent) {
    const meta = { direction: e.direction, peer: e.peer, found: e.found, recovered: e.recovered, extra: e.extra };
    const extra = e.extra && this.opts.extra ? `; ${this.opts.extra.name}: ${e.extra.found} missing here, ${e.extra.recovered} recovered` : '';
    if (e.error) this.opts.logger.warn(`recon ${e.direction === 'in' ? 'from' : 'to'} ${e.peer} failed: ${e.error}${extra}`, meta);
    else this.opts.logger.info(`recon ${e.direction === 'in' ? 'from' : 'to'} ${e.peer}: ${e.found} missing here, ${e.recovered} recovered${extra}`, meta);
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
