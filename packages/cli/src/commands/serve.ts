/**
 * `dkeyserv serve` / `dkeyserv db`: the HKP server on the key store (recon joins `serve` with
 * the reconciliation issue). Stops cleanly on SIGINT/SIGTERM.
 */
import { createHkpApp, listen, ListenError } from '@dkeyserv/hkp';
import { hostname } from 'node:os';
import { Config } from '../config';
import { CliError } from '../errors';
import { logger } from '../logger';
import { openStore } from '../store';

export async function serve(config: Config, version: string): Promise<void> {
  const log = logger('serve');
  const { store } = openStore(config.data, { limits: config.limits });
  const { host, port } = config.hkp.listen;
  const app = createHkpApp({
    store,
    logger: logger('hkp'),
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
      },
    },
  });
  let running;
  try {
    running = await listen(app, { host, port });
  } catch (e) {
    await store.close();
    if (e instanceof ListenError) throw new CliError(e.message);
    throw e;
  }
  log.info(`serving HKP on http://${running.address} from ${config.data} (${store.count()} keys)`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info(`${signal}: stopping`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await running.close();
  await store.close();
}
