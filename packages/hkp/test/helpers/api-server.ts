/**
 * The HKP app on a real socket (127.0.0.1, ephemeral port) over a real LMDB store in a temp dir
 * holding debian-role-keys, for the HKP v2 and VKS tests. `v1Get` reads what v1 `op=get` serves
 * (dearmored), the reference every v2/VKS answer must equal byte for byte.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { KeyStore, silentLogger } from '@dkeyserv/db';
import { dearmor, isKeyringError, keyIdentity, normalizeKey, PublicKey, ReconPolicyName, splitKeyring, splitPackets, Tag } from '@dkeyserv/pgp';
import { createHkpApp, DEFAULT_HKP_OPTIONS, listen, RunningServer } from '@dkeyserv/hkp';

export const ROLE_KEYRING = '/usr/share/keyrings/debian-role-keys.gpg';

export interface ApiServer {
  dir: string;
  store: KeyStore;
  server: RunningServer;
  base: string;
  keys: PublicKey[];
  close(): Promise<void>;
}

export function roleKeys(): PublicKey[] {
  return [...splitKeyring(readFileSync(ROLE_KEYRING))].map((e) => {
    if (isKeyringError(e)) throw e.error;
    return normalizeKey(e.packets);
  });
}

export interface ApiServerOptions {
  /** the recon policies kept; `hockeypuck-2.4` among them (the default) lets the store hold v6 keys */
  policies?: ReconPolicyName[];
  /** the store's clock, ms since the epoch */
  now?: () => number;
  /** what the store holds before the server starts (default: debian-role-keys) */
  fill?: (store: KeyStore) => void | Promise<void>;
  /** uploads per IP per minute (default: no limit) */
  uploads?: number;
}

export function ingestRoleKeys(store: KeyStore): void {
  store.ingestMany([...splitKeyring(readFileSync(ROLE_KEYRING))].map((e) => (isKeyringError(e) ? [] : e.packets)));
}

export async function startApiServer(prefix: string, o: ApiServerOptions = {}): Promise<ApiServer> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = KeyStore.open({ path: join(dir, 'db'), policies: o.policies ?? ['sks', 'hockeypuck-2.4'], now: o.now });
  await (o.fill ?? ingestRoleKeys)(store);
  const app = createHkpApp({
    store,
    logger: silentLogger,
    options: {
      ...DEFAULT_HKP_OPTIONS,
      maxBodyBytes: 1024 * 1024,
      rateLimit: { requests: 0, uploads: o.uploads ?? 0, windowSeconds: 60 },
      identity: { hostname: 'test.invalid', nodename: 'test-node', software: 'dkeyserv', version: '0.1.0', httpAddr: '127.0.0.1:0' },
    },
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  return {
    dir,
    store,
    server,
    base: `http://127.0.0.1:${server.port}`,
    keys: roleKeys(),
    async close() {
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Upper-case hex of a key's fingerprint. */
export const fprOf = (k: PublicKey): string => k.fingerprint.toString('hex').toUpperCase();

/** The fingerprint of a key's first subkey, upper-case hex. */
export function subkeyFpr(k: PublicKey): string {
  return keyIdentity(splitPackets(k.subkeys[0].packet.raw)[0].body).fingerprint.toString('hex').toUpperCase();
}

/** What v1 `op=get` serves for `search`, dearmored. */
export async function v1Get(base: string, search: string): Promise<Buffer> {
  const r = await fetch(`${base}/pks/lookup?op=get&options=mr&search=${encodeURIComponent(search)}`);
  if (r.status !== 200) throw new Error(`v1 get ${search}: ${r.status}`);
  return dearmor(await r.text())[0].data;
}

/** Fingerprints (upper-case) of the keys in binary key material. */
export function fingerprintsIn(bytes: Buffer): string[] {
  return [...splitKeyring(bytes)].map((e) => {
    if (isKeyringError(e)) throw e.error;
    return keyIdentity(e.packets[0].body).fingerprint.toString('hex').toUpperCase();
  });
}

export interface TestKey {
  binary: Buffer;
  armored: string;
  /** upper-case hex */
  fpr: string;
}

/** A fresh v4 Ed25519 public key (openpgp.js) with these User IDs. */
export async function makeKey(userIDs: openpgp.UserID[]): Promise<TestKey> {
  const k = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs, format: 'object' });
  return { binary: Buffer.from(k.publicKey.write()), armored: k.publicKey.armor(), fpr: k.publicKey.getFingerprint().toUpperCase() };
}

/** Binary key material with the signature after the first User ID left out: nothing of it could be served. */
export function withoutUidSelfSig(binary: Buffer): Buffer {
  const packets = splitPackets(binary);
  const uid = packets.findIndex((p) => p.tag === Tag.UserId);
  if (packets[uid + 1]?.tag !== Tag.Signature) throw new Error('no signature after the first User ID');
  return Buffer.concat(packets.filter((_, i) => i !== uid + 1).map((p) => p.raw));
}
