/**
 * The HKP app over a temp LMDB store on 127.0.0.1 (ephemeral port), as the hkp tests start it:
 * rate limits off, a test identity, options overridable. `stop` closes the server and the store
 * and removes the directory.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore, KeyStoreOptions, silentLogger } from '@dkeyserv/db';
import { isKeyringError, splitKeyring } from '@dkeyserv/pgp';
import { createHkpApp, DEFAULT_HKP_OPTIONS, HkpOptions, listen, RunningServer } from '@dkeyserv/hkp';

export const ROLE_KEYS = '/usr/share/keyrings/debian-role-keys.gpg';

export interface TestApp {
  dir: string;
  store: KeyStore;
  server: RunningServer;
  /** `http://127.0.0.1:PORT` */
  base: string;
  stop(): Promise<void>;
}

/** Every key of a binary keyring file, as packets for `ingestMany`. */
export function keyringPackets(file = ROLE_KEYS) {
  return [...splitKeyring(readFileSync(file))].map((e) => (isKeyringError(e) ? [] : e.packets));
}

export async function startTestApp(
  label: string,
  options: Partial<HkpOptions> = {},
  fill?: (store: KeyStore) => void | Promise<void>,
  storeOptions: Omit<KeyStoreOptions, 'path'> = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), `dks-${label}-`));
  const store = KeyStore.open({ path: dir, ...storeOptions });
  await fill?.(store);
  const app = createHkpApp({
    store,
    logger: silentLogger,
    options: {
      ...DEFAULT_HKP_OPTIONS,
      rateLimit: { requests: 0, uploads: 0, windowSeconds: 60 },
      identity: { hostname: 'test.invalid', nodename: 'test-node', software: 'dkeyserv', version: '0.1.0', httpAddr: '127.0.0.1:0' },
      ...options,
    },
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    dir,
    store,
    server,
    base: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
