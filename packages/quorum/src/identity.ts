/**
 * The node's attestation identity (docs/quorum.md §3): an Ed25519 key pair made with node:crypto on
 * first start and kept as PKCS#8 PEM in `DATA/node-key.pem`, mode 0600.
 *
 * The node id is the 32-byte raw public key, shown as base64 (ed25519.ts). The file is created
 * atomically and never overwritten: the key is written to a temporary file with mode 0600, synced,
 * then hard-linked to its final name. Unlike rename, link fails if the name exists, so two nodes
 * starting on one data directory at once both end up with the key that won, and a key an operator
 * put there is never replaced. A key file that group or others may read, or that holds anything
 * but an Ed25519 private key, is refused rather than used (like OpenSSH with its host keys).
 */
import { generateKeyPairSync, KeyObject, createPrivateKey, randomBytes, sign } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { formatNodeId, rawPublicKey } from './ed25519';
import { IdentityError } from './errors';

export const NODE_KEY_FILE = 'node-key.pem';

export class NodeIdentity {
  /** the node id: the raw 32-byte Ed25519 public key */
  readonly id: Buffer;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
      throw new IdentityError('not-ed25519', `a node key must be an Ed25519 private key, not ${privateKey.asymmetricKeyType ?? 'unknown'} ${privateKey.type}`);
    }
    this.id = rawPublicKey(privateKey);
  }

  /** A fresh identity that lives only in memory (tests, tools). */
  static generate(): NodeIdentity {
    return new NodeIdentity(generateKeyPairSync('ed25519').privateKey);
  }

  /** the node id as printed by `dkeyserv node-id` and written in policy files */
  get idText(): string {
    return formatNodeId(this.id);
  }

  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Buffer {
    return sign(null, message, this.privateKey);
  }
}

/** The node's identity from `dataDir`, created there on first start. */
export function loadOrCreateIdentity(dataDir: string): NodeIdentity {
  const path = join(dataDir, NODE_KEY_FILE);
  const existing = loadIdentity(path);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, path);
  } catch (e) {
    // another process created the key between our check and now: use theirs
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(tmp);
  }
  syncDirectory(dataDir);
  return loadIdentity(path)!;
}

/** The identity in key file `path`, or undefined if there is no such file. */
export function loadIdentity(path: string): NodeIdentity | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new IdentityError('unreadable', `node key ${path}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new IdentityError('not-a-file', `node key ${path} is not a regular file`);
  if (st.mode & 0o077) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw new IdentityError('insecure-permissions', `node key ${path} has mode ${mode}, readable beyond its owner: run chmod 600 on it`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: readFileSync(path), format: 'pem' });
  } catch (e) {
    throw new IdentityError('unreadable', `node key ${path} is not an unencrypted PEM private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new IdentityError('not-ed25519', `node key ${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  }
  return new NodeIdentity(key);
}

function syncDirectory(dir: string) {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
