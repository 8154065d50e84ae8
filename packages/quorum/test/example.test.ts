/** The README's example, through the package's face. */
import { readFileSync, rmSync } from 'node:fs';
import { KeyStore } from '@dkeyserv/db';
import { isKeyringError, splitKeyring } from '@dkeyserv/pgp';
import { AttestationStore, attachAttestor, loadOrCreateIdentity, makeProof, parseProof, proofToJson, QuorumPolicy, verifyProof } from '../src';
import { tempDir } from './helpers';

test('README example: a peer set of one attests and proves every key', async () => {
  const data = tempDir('dks-quorum-example-');
  const identity = loadOrCreateIdentity(data);
  const policy = new QuorumPolicy({ name: 'solo', version: 1, members: [{ name: 'me', key: identity.id }] });
  const keys = KeyStore.open({ path: data });
  const attestations = AttestationStore.open(keys, policy);
  attachAttestor(keys, attestations, identity, policy);
  for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
    if (!isKeyringError(e)) keys.ingest(e.packets);
  }
  let proven = 0;
  for (const record of keys.records()) {
    const version = attestations.accepted(record.fpr);
    if (!version) continue;
    const json = JSON.stringify(proofToJson(makeProof(policy, version)));
    expect(verifyProof(record.packets, parseProof(JSON.parse(json)), policy)).toEqual({ ok: true, members: ['me'] });
    proven++;
  }
  expect(proven).toBe(keys.count());
  await keys.close();
  rmSync(data, { recursive: true, force: true });
});
