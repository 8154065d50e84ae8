/**
 * The HTTP server around the koa app: bounded headers, timeouts for slow and silent clients,
 * connection limits per process and per client address (connection-guard.ts, docs/hkp.md §10),
 * and a clear error when the address is taken.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';
import { ConnectionGuard, ConnectionLimits, DEFAULT_CONNECTION_LIMITS, SharedIpCounts } from './connection-guard';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** how long a closing connection may still read what it was sent */
const LINGER_MS = 2000;

/**
 * Close after the response without a reset: a client still sending a body we refused gets time
 * to read the answer (a "lingering close"), instead of an RST that discards it. Node's HTTP server
 * calls destroySoon() after a `Connection: close` response.
 */
export function lingerOnClose(socket: Socket, ms = LINGER_MS): void {
  socket.destroySoon = () => {
    socket.end();
    socket.resume(); // read and discard what the client still sends
    setTimeout(() => socket.destroy(), ms).unref();
  };
}

/** Requests Node's HTTP parser rejects get a status and a one-line reason too. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, phrase, reason] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request line and headers are over 16 KiB']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'ERR_HTTP_HEADERS_TIMEOUT'
        ? [408, 'Request Timeout', 'the request was not received in time']
        : [400, 'Bad Request', 'malformed HTTP request'];
  const body = reason + '\n';
  socket.end(`HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export interface ListenOptions extends Partial<ConnectionLimits> {
  host: string;
  port: number;
  /** HKP workers: the per-address limit across all of them (cluster/worker.ts) */
  shared?: SharedIpCounts;
}

/** how often node checks `headersTimeout` and `requestTimeout` (its default: every 30 s) */
const CONNECTIONS_CHECKING_MS = 1_000;

/** Requests of one connection received and not yet answered (HTTP pipelining), at most. */
const MAX_PIPELINED = 32;
const pipelined = new WeakMap<Socket, number>();

export interface RunningServer {
  server: Server;
  /** host:port actually bound */
  address: string;
  port: number;
  close(): Promise<void>;
}

export function listen(app: Koa, opts: ListenOptions): Promise<RunningServer> {
  const d = DEFAULT_CONNECTION_LIMITS;
  const limits: ConnectionLimits = {
    maxConnections: opts.maxConnections ?? d.maxConnections,
    maxConnectionsPerIp: opts.maxConnectionsPerIp ?? d.maxConnectionsPerIp,
    firstByteTimeoutMs: opts.firstByteTimeoutMs ?? d.firstByteTimeoutMs,
  };
  const guard = new ConnectionGuard(limits, opts.shared);
  const handle = app.callback();
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024, // request line and headers; longer gets 431
      requestTimeout: 60_000, // a whole request, slow clients included
      headersTimeout: 15_000,
      connectionsCheckingInterval: CONNECTIONS_CHECKING_MS,
      // silent between keep-alive requests: closed as a new connection would be (connection-guard.ts)
      keepAliveTimeout: limits.firstByteTimeoutMs,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      // node parses a whole received chunk of pipelined requests at once and queues their
      // answers; a client that pipelines more than any real one does loses the connection
      const queued = (pipelined.get(socket) ?? 0) + 1;
      if (queued > MAX_PIPELINED) return void socket.destroy();
      // over the per-address limit: answered 503 when it connected (connection-guard.ts)
      if (!guard.busy(socket)) return void socket.destroy();
      pipelined.set(socket, queued);
      // one listener per answer on this hot path: one fewer queued, and idle again
      res.once('close', () => {
        pipelined.set(socket, (pipelined.get(socket) ?? 1) - 1);
        guard.waiting(socket);
      });
      void handle(req, res);
    },
  );
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => guard.admit(socket));
  server.on('clientError', onClientError);
  // a connection silent too long (connection-guard.ts): closed; 408 if it had begun a request
  server.on('timeout', (socket: Socket) => {
    if (!guard.partial(socket)) return socket.destroy();
    onClientError(Object.assign(new Error('headers timeout'), { code: 'ERR_HTTP_HEADERS_TIMEOUT' }), socket);
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new ListenError(
          e.code === 'EADDRINUSE'
            ? `${opts.host}:${opts.port} is already in use`
            : e.code === 'EACCES'
              ? `no permission to listen on ${opts.host}:${opts.port}`
              : `cannot listen on ${opts.host}:${opts.port}: ${e.message}`,
        ),
      );
    });
    server.listen(opts.port, opts.host, () => {
      const a = server.address() as AddressInfo;
      resolve({
        server,
        address: `${a.address}:${a.port}`,
        port: a.port,
        close: () =>
          new Promise<void>((res) => {
            server.close(() => res());
            server.closeAllConnections();
          }),
      });
    });
  });
}
