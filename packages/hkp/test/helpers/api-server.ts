/**
 * The HKP app on a real socket (127.0.0.1, ephemeral port) over a real LMDB store in a temp dir
 * holding debian-role-keys, for the HKP v2 and VKS tests. `v1Get` reads what v1 `op=get` serves
 * (dearmored), the reference every v2/VKS answer must equal byte for byte.
 */
import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { KeyStore } from '@dkeyserv/db';
import { dearmor, isKeyringError, keyIdentity, normalizeKey, PublicKey, ReconPolicyName, splitKeyring, splitPackets, Tag } from '@dkeyserv/pgp';
import { RunningServer } from '@dkeyserv/hkp';
import { keyringPackets, ROLE_KEYS, startTestApp } from './test-app';

export { ROLE_KEYS as ROLE_KEYRING } from './test-app';

export interface ApiServer {
  dir: string;
  store: KeyStore;
  server: RunningServer;
  base: string;
  keys: PublicKey[];
  close(): Promise<void>;
}

export function roleKeys(): PublicKey[] {
  return [...splitKeyring(readFileSync(ROLE_KEYS))].map((e) => {
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
  store.ingestMany(keyringPackets());
}

export async function startApiServer(prefix: string, o: ApiServerOptions = {}): Promise<ApiServer> {
  const t = await startTestApp(
    prefix.replace(/^dks-|-$/g, ''),
    { maxBodyBytes: 1024 * 1024, rateLimit: { requests: 0, uploads: o.uploads ?? 0, windowSeconds: 60 } },
    o.fill ?? ingestRoleKeys,
    { policies: o.policies ?? ['sks', 'hockeypuck-2.4'], now: o.now },
  );
  return { ...t, keys: roleKeys(), close: t.stop };
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
