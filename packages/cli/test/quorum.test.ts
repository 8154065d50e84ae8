/**
 * `dkeyserv node-id` and `dkeyserv verify-quorum`: a real proof (three of four members, k = 3)
 * passes; a tampered key, a tampered attestation, too few members and another policy fail.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'smol-toml';
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { isKeyringError, splitKeyring, splitPackets } from '@dkeyserv/pgp';
import { AttestationStore, keyVersionDigests, makeProof, NodeIdentity, policyDocument, proofToJson, QuorumPolicy, signStatement } from '@dkeyserv/quorum';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { runSync, spawnDkeyserv } from '../../../test/helpers/dkeyserv';

describe('dkeyserv node-id and verify-quorum', () => {
  let dir: string;
  let record: KeyRecord;
  let proofJson: Record<string, unknown>;
  const ids = Array.from({ length: 4 }, () => NodeIdentity.generate());
  const names = ['alpha', 'bravo', 'charlie', 'delta'];
  const policy = new QuorumPolicy({ name: 'test-quorum', version: 1, members: ids.map((id, i) => ({ name: names[i], key: id.id })) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dks-quorum-cli-'));
    writeFileSync(join(dir, 'policy.toml'), stringify(policyDocument(policy)));
    const other = new QuorumPolicy({ name: 'another-quorum', version: 1, members: ids.map((id, i) => ({ name: names[i], key: id.id })) });
    writeFileSync(join(dir, 'other.toml'), stringify(policyDocument(other)));
    const store = KeyStore.open({ path: join(dir, 'db') });
    const attestations = AttestationStore.open(store, policy);
    const first = [...splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))][0];
    if (isKeyringError(first)) throw first.error;
    store.ingest(first.packets);
    record = [...store.records()][0];
    for (const who of [0, 1, 2]) {
      attestations.add(signStatement(ids[who], { fingerprint: record.fpr, ...keyVersionDigests(splitPackets(record.packets)), policyHash: policy.hash, timestamp: Date.now() }));
    }
    proofJson = { ...proofToJson(makeProof(policy, attestations.accepted(record.fpr)!)), key: Buffer.from(record.packets).toString('base64') };
    await store.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const verify = (doc: unknown, policyFile = 'policy.toml') => runSync(['verify-quorum', '--policy', join(dir, policyFile)], { input: Buffer.from(JSON.stringify(doc)) });

  test('node-id creates the key once (0600) and prints the same id every time', () => {
    const data = join(dir, 'node');
    const a = runSync(['node-id', '--data', data]);
    expect(a.code).toBe(0);
    expect(a.stdout.trim()).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(statSync(join(data, 'node-key.pem')).mode & 0o777).toBe(0o600);
    expect(runSync(['node-id', '--data', data]).stdout).toBe(a.stdout);
  });

  test('a real proof is accepted and names the members who vouched', () => {
    const r = verify(proofJson);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^valid: 3 of 4 members of test-quorum v1 \(k = 3\) vouch for [0-9A-F]{40}: alpha, bravo, charlie$/m);
  });

  test('a tampered key, a tampered attestation, fewer than k members and another policy are rejected', () => {
    const key = Buffer.from(record.packets);
    key[key.length - 1] ^= 1;
    const tamperedKey = verify({ ...proofJson, key: key.toString('base64') });
    expect(tamperedKey.code).toBe(1);
    expect(tamperedKey.stdout).toMatch(/^NOT valid: key-mismatch/);

    const atts = proofJson.attestations as string[];
    const sig = Buffer.from(atts[0], 'base64');
    sig[sig.length - 1] ^= 1;
    const tamperedAtt = verify({ ...proofJson, attestations: [sig.toString('base64'), ...atts.slice(1)] });
    expect(tamperedAtt.code).toBe(1);
    expect(tamperedAtt.stdout).toMatch(/^NOT valid: bad-attestation/);

    const fewer = verify({ ...proofJson, attestations: atts.slice(0, 2) });
    expect(fewer.code).toBe(1);
    expect(fewer.stdout).toMatch(/^NOT valid: too-few-members/);

    const other = verify(proofJson, 'other.toml');
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/^NOT valid: other-policy/);
  });

  test('quorum mode end to end: serve attests stored keys, answers op=x-quorum, verify-quorum accepts the proof', async () => {
    const data = join(dir, 'solo');
    const id = runSync(['node-id', '--data', data]).stdout.trim();
    const policyText = `[quorum]\nname = "solo"\nversion = 1\n[[quorum.member]]\nname = "me"\nkey = "${id}"\n`;
    writeFileSync(join(dir, 'solo-policy.toml'), policyText);
    const cfg = join(dir, 'solo.toml');
    writeFileSync(cfg, `data = "${data}"\n[recon]\nlisten = "none"\n[hkp.rateLimit]\nrequests = 0\n${policyText}`);
    // keys imported before quorum mode: serve attests them at start
    expect(runSync(['import', '--data', data, '/usr/share/keyrings/debian-role-keys.gpg']).code).toBe(0);
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawnDkeyserv(['serve', '--config', cfg, '--hkp', `127.0.0.1:${port}`]);
    try {
      const fpr = Buffer.from(record.fpr).toString('hex').toUpperCase();
      let res: Response | undefined;
      for (let i = 0; i < 100 && !res; i++) {
        await new Promise((r) => setTimeout(r, 100));
        res = await fetch(`http://127.0.0.1:${port}/pks/lookup?op=x-quorum&search=0x${fpr}`).catch(() => undefined);
      }
      expect(res?.status).toBe(200);
      const proof = await res!.text();
      const v = runSync(['verify-quorum', '--policy', join(dir, 'solo-policy.toml')], { input: Buffer.from(proof) });
      expect(v.stdout).toMatch(/^valid: 1 of 1 members of solo v1 \(k = 1\) vouch for [0-9A-F]{40}: me$/m);
      expect(v.code).toBe(0);
      const missing = await fetch(`http://127.0.0.1:${port}/pks/lookup?op=x-quorum&search=0x${'0'.repeat(40)}`);
      expect(missing.status).toBe(404);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.on('exit', r));
    }
  });

  test('input errors are one line with exit 1', () => {
    const r = runSync(['verify-quorum', '--policy', join(dir, 'policy.toml')], { input: Buffer.from('not json') });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(runSync(['verify-quorum', '--policy', join(dir, 'missing.toml')], { input: Buffer.from('{}') }).stderr).toMatch(/policy .*missing\.toml/);
    expect(runSync(['verify-quorum']).code).toBe(2);
  });
});
