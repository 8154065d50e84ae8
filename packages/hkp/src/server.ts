/**
 * The HTTP server around the koa app: bounded headers, timeouts for slow clients, a connection
 * cap, and a clear error when the address is taken.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo, Socket } from 'node:net';
import Koa from 'koa';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/**
 * Close after the response without a reset: a client still sending a body we refused gets time
 * to read the answer (a "lingering close"), instead of an RST that discards it. Node's HTTP server
 * calls destroySoon() after a `Connection: close` response.
 */
export function lingerOnClose(socket: Socket, ms = 2000): void {
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

export interface ListenOptions {
  host: string;
  port: number;
  /** most simultaneous connections */
  maxConnections?: number;
}

export interface RunningServer {
  server: Server;
  /** host:port actually bound */
  address: string;
  port: number;
  close(): Promise<void>;
}

export function listen(app: Koa, opts: ListenOptions): Promise<RunningServer> {
  const server = createServer(
    {
      maxHeaderSize: 16 * 1024, // request line and headers; longer gets 431
      requestTimeout: 60_000, // a whole request, slow clients included
      headersTimeout: 15_000,
      keepAliveTimeout: 5_000,
    },
    app.callback(),
  );
  server.maxConnections = opts.maxConnections ?? 2000;
  server.on('clientError', onClientError);
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
