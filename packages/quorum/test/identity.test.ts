import fs = require('node:fs');
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync as genKeys, verify } from 'node:crypto';
import { join } from 'node:path';
import { loadOrCreateIdentity, NODE_KEY_FILE, NodeIdentity } from '../src/identity';
import { formatNodeId, parseNodeId, publicKeyFromRaw } from '../src/ed25519';
import { IdentityError } from '../src/errors';
import { tempDir } from './helpers';

describe('node identity', () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = tempDir('dks-identity-');
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  test('created on first start as PKCS#8 PEM with mode 0600, then reused', () => {
    const data = join(dir(), 'nested', 'data');
    const a = loadOrCreateIdentity(data);
    const file = join(data, NODE_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(readdirSync(data)).toEqual([NODE_KEY_FILE]); // no temporary file left behind
    expect(a.id).toHaveLength(32);
    expect(a.idText).toHaveLength(44);
    expect(parseNodeId(a.idText)).toEqual(a.id);
    const b = loadOrCreateIdentity(data);
    expect(b.id).toEqual(a.id);
  });

  test('signatures verify under the node id', () => {
    const id = loadOrCreateIdentity(dir());
    const msg = Buffer.from('dkeyserv');
    const sig = id.sign(msg);
    expect(sig).toHaveLength(64);
    expect(verify(null, msg, publicKeyFromRaw(id.id), sig)).toBe(true);
    expect(verify(null, Buffer.from('dkeyservX'), publicKeyFromRaw(id.id), sig)).toBe(false);
  });

  test('an existing key is used, never replaced', () => {
    const data = dir();
    const { privateKey, publicKey } = genKeys('ed25519');
    writeFileSync(join(data, NODE_KEY_FILE), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    const id = loadOrCreateIdentity(data);
    expect(id.id).toEqual(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
  });

  test('two nodes starting at once on one data directory end up with the same key', () => {
    const data = dir();
    const rival = genKeys('ed25519');
    const link = fs.linkSync;
    // the rival writes its key just before we link ours
    const spy = jest.spyOn(fs, 'linkSync').mockImplementationOnce((from, to) => {
      writeFileSync(to, rival.privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
      link(from, to);
    });
    try {
      const id = loadOrCreateIdentity(data);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(id.id).toEqual(rival.publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
      expect(readdirSync(data)).toEqual([NODE_KEY_FILE]);
    } finally {
      spy.mockRestore();
    }
  });

  test.each(['644', '640', '604', '660', '444'])('a key file with mode %s is refused', (octal) => {
    const mode = parseInt(octal, 8);
    const data = dir();
    loadOrCreateIdentity(data);
    chmodSync(join(data, NODE_KEY_FILE), mode);
    expect(() => loadOrCreateIdentity(data)).toThrow(IdentityError);
    expect(() => loadOrCreateIdentity(data)).toThrow(/chmod 600/);
    try {
      loadOrCreateIdentity(data);
    } catch (e) {
      expect((e as IdentityError).reason).toBe('insecure-permissions');
    }
  });

  test('a key file with another algorithm, garbage, or a directory is refused', () => {
    const cases: [string | null, string][] = [
      [genKeys('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'not-ed25519'],
      [genKeys('ed448').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 'not-ed25519'],
      ['not a key\n', 'unreadable'],
      [genKeys('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'x' }).toString(), 'unreadable'],
      [null, 'not-a-file'],
    ];
    for (const [content, reason] of cases) {
      const data = dir();
      if (content === null) mkdirSync(join(data, NODE_KEY_FILE));
      else writeFileSync(join(data, NODE_KEY_FILE), content, { mode: 0o600 });
      let error: unknown;
      try {
        loadOrCreateIdentity(data);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(IdentityError);
      expect((error as IdentityError).reason).toBe(reason);
    }
  });

  test('node ids parse only in canonical base64 of 32 bytes', () => {
    const id = NodeIdentity.generate();
    expect(parseNodeId(formatNodeId(id.id))).toEqual(id.id);
    expect(parseNodeId(id.id.toString('hex'))).toBeUndefined();
    expect(parseNodeId(id.id.toString('base64url'))).toBeUndefined();
    expect(parseNodeId(id.idText.slice(0, -1))).toBeUndefined(); // no padding
    expect(parseNodeId(Buffer.alloc(31).toString('base64'))).toBeUndefined();
    expect(parseNodeId(` ${id.idText}`)).toBeUndefined();
  });
});
