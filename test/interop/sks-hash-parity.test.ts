/**
 * Hash parity with a real SKS 1.1.6: the same input imported into a dkeyserv store and into
 * an SKS must yield the same set of SKS key hashes (same dedup/merge, same hash over the
 * stored packets).
 *  1. the four Debian keyrings (1178 keys; they share no key, so nothing is merged);
 *  2. keys cut into pieces and keys with repeated packets, made from Debian keys here, so
 *     that SKS's merge and dedup rules are exercised.
 * The store of part 1 keeps all three recon policies (a bridge): the `sks` policy's hashes must
 * still be SKS's (docs/recon-policies.md).
 * Needs the Debian packages sks and debian-keyring (.ci/run installs them).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareWithSks, splitPackets, startSks, stopAllSks, type SksPeer } from '../helpers/sks';
import { dumpKeys, fsck, importKeys, storedHashes, tempDir, type CliResult } from '../helpers/dkeyserv';

const KEYRINGS = ['debian-keyring', 'debian-maintainers', 'debian-nonupload', 'debian-role-keys'].map(
  (k) => `/usr/share/keyrings/${k}.gpg`,
);

afterAll(stopAllSks);

describe('SKS hash parity: four Debian keyrings', () => {
  let sks: SksPeer;
  let data: string;
  let imported: CliResult;

  beforeAll(async () => {
    data = tempDir('data');
    const bridge = ['--policy', 'sks', '--policy', 'hockeypuck', '--policy', 'hockeypuck-2.4'];
    [sks, imported] = await Promise.all([startSks({ keys: KEYRINGS }), importKeys(data, [...KEYRINGS, ...bridge])]);
  }, 300_000);

  afterAll(async () => {
    if (data) rmSync(data, { recursive: true, force: true });
    await sks?.destroy();
  });

  test('dkeyserv import prints a summary', () => {
    expect(imported.code).toBe(0);
    expect(imported.stdout.trim().length).toBeGreaterThan(0);
  });

  test('SKS and dkeyserv hold the same key hashes', async () => {
    const hashes = await storedHashes(data, { policy: 'sks' });
    expect(hashes.length).toBeGreaterThan(900);
    const report = await compareWithSks(sks, hashes, (out) => dumpKeys(data, out).then(() => undefined));
    if (report) throw new Error(`SKS and dkeyserv differ:\n${report}`);
  }, 300_000);

  test('the store passes fsck', async () => {
    const r = await fsck(data);
    if (r.code !== 0) throw new Error(`fsck exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  }, 120_000);
});

/** A transferable public key as its packets' raw bytes (header included), in grammar parts. */
interface KeyParts {
  head: Buffer[]; // primary key + direct signatures
  uids: Buffer[][]; // each: UID/UAT packet + its signatures
  subkeys: Buffer[][]; // each: subkey packet + its signatures
}

function keyParts(file: string): KeyParts[] {
  const buf = readFileSync(file);
  const keys: KeyParts[] = [];
  let block: Buffer[] = [];
  for (const p of splitPackets(buf)) {
    const raw = buf.subarray(p.start, p.end);
    if (p.tag === 6) keys.push({ head: (block = [raw]), uids: [], subkeys: [] });
    else if (p.tag === 13 || p.tag === 17) keys[keys.length - 1].uids.push((block = [raw]));
    else if (p.tag === 14) keys[keys.length - 1].subkeys.push((block = [raw]));
    else block.push(raw);
  }
  return keys;
}

const join = (k: KeyParts): Buffer => Buffer.concat([...k.head, ...k.uids.flat(), ...k.subkeys.flat()]);
const dupSigs = (block: Buffer[]): Buffer[] => block.flatMap((b, i) => (i === 0 ? [b] : [b, b]));

describe('SKS hash parity: merge and dedup of pieces and repeats', () => {
  let sks: SksPeer;
  let data: string;

  beforeAll(async () => {
    data = tempDir('data');
    const inputs = tempDir('in');
    // (1) every key of debian-maintainers in two halves (its UIDs and subkeys split between
    //     two files; either half may lack UIDs): both servers must merge them back
    const halfA: Buffer[] = [];
    const halfB: Buffer[] = [];
    for (const k of keyParts('/usr/share/keyrings/debian-maintainers.gpg')) {
      const u = Math.ceil(k.uids.length / 2);
      const s = Math.ceil(k.subkeys.length / 2);
      halfA.push(join({ head: k.head, uids: k.uids.slice(0, u), subkeys: k.subkeys.slice(0, s) }));
      halfB.push(join({ head: k.head, uids: k.uids.slice(u), subkeys: k.subkeys.slice(s) }));
    }
    // (2) keys with repeated packets, in one file: every signature twice in a row; the first
    //     UID block once more after the others; the first subkey block once more
    const repeats: Buffer[] = [];
    const others = [...keyParts('/usr/share/keyrings/debian-nonupload.gpg'), ...keyParts('/usr/share/keyrings/debian-role-keys.gpg')];
    others.forEach((k, i) => {
      if (i % 3 === 0) repeats.push(join({ head: dupSigs(k.head), uids: k.uids.map(dupSigs), subkeys: k.subkeys.map(dupSigs) }));
      else if (i % 3 === 1) repeats.push(join({ ...k, uids: [...k.uids, ...k.uids.slice(0, 1)] }));
      else repeats.push(join({ ...k, subkeys: [...k.subkeys, ...k.subkeys.slice(0, 1)] }));
    });
    const files = [
      path.join(inputs, 'maintainers-half-a.gpg'),
      path.join(inputs, 'maintainers-half-b.gpg'),
      path.join(inputs, 'repeats.gpg'),
    ];
    writeFileSync(files[0], Buffer.concat(halfA));
    writeFileSync(files[1], Buffer.concat(halfB));
    writeFileSync(files[2], Buffer.concat(repeats));
    try {
      [sks] = await Promise.all([startSks({ keys: files }), importKeys(data, files)]);
    } finally {
      rmSync(inputs, { recursive: true, force: true });
    }
  }, 300_000);

  afterAll(async () => {
    if (data) rmSync(data, { recursive: true, force: true });
    await sks?.destroy();
  });

  test('SKS and dkeyserv hold the same key hashes', async () => {
    const hashes = await storedHashes(data, { policy: 'sks' });
    const report = await compareWithSks(sks, hashes, (out) => dumpKeys(data, out).then(() => undefined));
    if (report) throw new Error(`SKS and dkeyserv differ:\n${report}`);
  }, 300_000);
});
