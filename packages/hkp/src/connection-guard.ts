/**
 * Connection limits of an HKP process (docs/hkp.md §10): at most `maxConnectionsPerIp`
 * connections per client address, a connection silent for `firstByteTimeoutMs` before the first
 * byte of a request (new, or kept alive between requests) is closed, and near the global cap the
 * oldest idle connection is closed for each new one, so clients that wait for nothing cannot
 * keep others out. With HKP workers the per-address limit holds across them through the primary
 * (`SharedIpCounts`, cluster/ip-tally.ts; docs/operations.md §12).
 */
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** connections of this process (node's `server.maxConnections`) */
  maxConnections: number;
  /** connections per client address (an IPv6 client: per /64); 0: no limit */
  maxConnectionsPerIp: number;
  /** ms a connection may stay silent before the first byte of a request */
  firstByteTimeoutMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { maxConnections: 2000, maxConnectionsPerIp: 256, firstByteTimeoutMs: 5_000 };

/**
 * The other HKP workers' connections, as the primary tallies them. A worker may always hold
 * `share` connections of an address; beyond that only while the address is not `full`, and it
 * reports its count for the address whenever it is (or was) above its share.
 */
export interface SharedIpCounts {
  share: number;
  full(client: string): boolean;
  report(client: string, n: number): void;
}

/** near the cap: this fraction of `maxConnections` is kept free by closing idle connections */
const HEADROOM = 0.1;
/** a refused connection is closed this long after its 503 (time to read it), if the client has not */
const REFUSED_TIMEOUT_MS = 1_000;
const REFUSED_ANSWER = (() => {
  const body = 'too many connections from your address; try again later\n';
  return `HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: 5\r\nConnection: close\r\n\r\n${body}`;
})();

export class ConnectionGuard {
  private readonly perClient = new Map<string, number>();
  /** connections waiting for the first byte of a request, oldest first */
  private readonly idle = new Set<Socket>();
  /** over the per-address limit, oldest first: their requests are answered 503 (server.ts) */
  private readonly refused = new Set<Socket>();
  /** bytes read from an idle connection when it became idle */
  private readonly readWhenIdle = new WeakMap<Socket, number>();
  private live = 0;
  private readonly evictAbove: number;

  constructor(
    private readonly limits: ConnectionLimits,
    private readonly shared?: SharedIpCounts,
  ) {
    this.evictAbove = limits.maxConnections - Math.max(1, Math.floor(limits.maxConnections * HEADROOM));
  }

  /** connections now open (admitted, not yet closed) */
  get open(): number {
    return this.live;
  }

  /**
   * A new connection: admitted with its first-byte timer, or refused (`busy` says so). Near the
   * cap, the oldest refused connection, else the oldest idle one, is closed to make room.
   */
  admit(socket: Socket): void {
    if (++this.live > this.evictAbove) (this.refused.values().next().value ?? this.idle.values().next().value)?.destroy();
    const client = clientKey(socket.remoteAddress ?? '');
    const n = this.perClient.get(client) ?? 0;
    const max = this.limits.maxConnectionsPerIp;
    const refuse = max > 0 && (n >= max || (this.shared !== undefined && n >= this.shared.share && this.shared.full(client)));
    // its timeout fires server.ts's 'timeout' handler
    if (refuse) {
      // answered at once, before any request is read: a client holding hundreds of connections
      // costs no request parsing, and its connections are gone before it can send on them
      this.refused.add(socket);
      socket.setTimeout(REFUSED_TIMEOUT_MS);
      socket.end(REFUSED_ANSWER);
    } else {
      this.count(client, n + 1);
      this.idle.add(socket);
      socket.setTimeout(this.limits.firstByteTimeoutMs);
    }
    socket.once('close', () => {
      this.live--;
      if (refuse) this.refused.delete(socket);
      else {
        this.idle.delete(socket);
        this.count(client, (this.perClient.get(client) ?? 1) - 1);
      }
    });
  }

  /**
   * A request began on the socket: not idle; the request's own deadlines apply (node's
   * keep-alive timer between requests is cleared by node itself). False: the connection was
   * refused, answer 503 and close.
   */
  busy(socket: Socket): boolean {
    if (this.idle.delete(socket)) socket.setTimeout(0);
    return !this.refused.has(socket);
  }

  /** Its response is done: idle again until the next request (node's keepAliveTimeout runs). */
  waiting(socket: Socket): void {
    if (socket.destroyed) return;
    this.idle.add(socket);
    this.readWhenIdle.set(socket, socket.bytesRead);
  }

  /** Whether an idle connection has sent part of a request (a timeout then answers 408). */
  partial(socket: Socket): boolean {
    return socket.bytesRead > (this.readWhenIdle.get(socket) ?? 0);
  }

  private count(client: string, n: number): void {
    const before = this.perClient.get(client) ?? 0;
    if (n > 0) this.perClient.set(client, n);
    else this.perClient.delete(client);
    if (this.shared && (n > this.shared.share || before > this.shared.share)) this.shared.report(client, n);
  }
}

/**
 * The client a connection counts against: its IPv4 address (also when mapped into IPv6), or the
 * /64 of an IPv6 address (one host usually has a whole /64).
 */
export function clientKey(ip: string): string {
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::', 2);
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':') + '::/64';
}
