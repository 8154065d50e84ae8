/**
 * The HTTP server around the koa app: bounded headers, timeouts for slow clients, a connection
 * cap, and a clear error when the address is taken.
 */
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import Koa from 'koa';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
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
