/**
 * attestStored: keys stored before quorum mode was switched on get this node's attestation;
 * already attested versions are left alone; a key with no owner-signed User ID is not attested.
 */
import { rmSync } from 'node:fs';
import { KeyStore } from '@dkeyserv/db';
import { keyIdentity, splitPackets } from '@dkeyserv/pgp';
import { makeV4Key } from '../../../test-fixtures/keys';
import { attachAttestor, attestStored } from '../src/attest-hook';
import { NodeIdentity } from '../src/identity';
import { decodeStatement } from '../src/statement';
import { AttestationStore } from '../src/store';
import { peerSet, roleKeys, tempDir } from './helpers';

test('stored keys are attested once when quorum mode starts', async () => {
  const dir = tempDir('dks-attest-stored-');
  const keys = KeyStore.open({ path: dir });
  try {
    const role = roleKeys();
    keys.ingestMany(role);
    // primary and User ID without the self-signature: stored (as recon stores it), never attested
    const [primary, uid] = splitPackets((await makeV4Key('unsigned@example.org')).publicKey);
    expect(keys.ingest([primary, uid]).status).toBe('new');
    const unsignedFpr = keyIdentity(primary.body).fingerprint;

    const me = NodeIdentity.generate();
    const { policy } = peerSet(4, { identities: [me, NodeIdentity.generate(), NodeIdentity.generate(), NodeIdentity.generate()] });
    const attestations = AttestationStore.open(keys, policy);
    expect(attestStored(keys, attestations, me)).toBe(role.length);
    for (const record of keys.records()) {
      const mine = attestations.latest(me.id, Buffer.from(record.fpr));
      if (Buffer.from(record.fpr).equals(unsignedFpr)) expect(mine).toBeUndefined();
      else expect(decodeStatement(mine!.statement).keyHash.equals(Buffer.from(record.hash))).toBe(true);
    }
    // a second pass finds nothing to do
    expect(attestStored(keys, attestations, me)).toBe(0);
    // a key stored later (no hook attached here) is found through the change log
    const extra = splitPackets((await makeV4Key('later@example.org')).publicKey);
    expect(keys.ingest(extra).status).toBe('new');
    expect(attestStored(keys, attestations, me)).toBe(1);
    expect(attestations.latest(me.id, keyIdentity(extra[0].body).fingerprint)).toBeDefined();
    // with the hook attached, new versions are attested as they are stored
    attachAttestor(keys, attestations, me, policy);
    expect(keys.ingest(splitPackets((await makeV4Key('hooked@example.org')).publicKey)).status).toBe('new');
    expect(attestStored(keys, attestations, me)).toBe(0);
  } finally {
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
