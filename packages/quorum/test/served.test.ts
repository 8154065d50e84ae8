/**
 * AcceptedVersions (docs/quorum.md §8, §9): a member serves the newest accepted version,
 * kept in the archive while a newer one waits for its quorum; the owner's revocations on top of
 * it are served at once, nothing else of the newer version is; the SHA-256 of the packets, not
 * the MD5 key hash alone, decides which bytes are the attested ones.
 */
import { rmSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { KeyStore } from '@dkeyserv/db';
import { encodePacket, flattenKey, joinPackets, parseKey, peekSignatureType, splitPackets, Tag } from '@dkeyserv/pgp';
import { makeV4Key } from '../../../test-fixtures/keys';
import { attachAttestor } from '../src/attest-hook';
import { loadOrCreateIdentity, NodeIdentity } from '../src/identity';
import { keyVersionDigests } from '../src/key-digest';
import { AcceptedVersions } from '../src/served';
import { signStatement } from '../src/statement';
import { AttestationStore } from '../src/store';
import { peerSet, roleKeys, tempDir } from './helpers';

function node() {
  const dir = tempDir('dks-served-');
  const identity = loadOrCreateIdentity(dir);
  const peers = [NodeIdentity.generate(), NodeIdentity.generate(), NodeIdentity.generate()];
  const { policy } = peerSet(4, { identities: [identity, ...peers] }); // k = 3
  const keys = KeyStore.open({ path: dir });
  const attestations = AttestationStore.open(keys, policy);
  const versions = AcceptedVersions.open(keys, attestations);
  keys.addHooks(versions.hooks());
  attachAttestor(keys, attestations, identity, policy);
  let clock = Date.now();
  /** members `who` (indexes into peers) attest the stored version of `fpr` */
  const vouch = (fpr: Buffer, who: number[], digests = keyVersionDigests(splitPackets(keys.get(fpr)!.packets))) => {
    for (const i of who) attestations.add(signStatement(peers[i], { fingerprint: fpr, ...digests, policyHash: policy.hash, timestamp: ++clock + 1000 }));
  };
  return { dir, keys, attestations, versions, vouch, close: async () => (await keys.close(), rmSync(dir, { recursive: true, force: true })) };
}

type Node = ReturnType<typeof node>;

describe('the accepted view of a member', () => {
  let n: Node;
  beforeEach(() => (n = node()));
  afterEach(() => n.close());

  test('a pending first version is not served; with k attestations it is, exactly as stored', () => {
    const key = roleKeys()[0];
    const r = n.keys.ingest(key);
    const record = n.keys.get(Buffer.from(r.fpr!, 'hex'))!;
    expect(n.versions.served(record)).toBeUndefined();
    expect(n.versions.status(record).pending.map((v) => v.members)).toEqual([['alpha']]);
    n.vouch(record.fpr, [0]);
    expect(n.versions.served(record)).toBeUndefined();
    n.vouch(record.fpr, [1]);
    expect(n.versions.served(record)).toBe(record);
    expect(n.versions.acceptedPackets(record.fpr)?.packets).toEqual(Buffer.from(record.packets));
  });

  test('a newer version waits for its quorum while the accepted one is served from the archive, then replaces it', () => {
    const full = roleKeys().find((k) => k.filter((p) => p.tag === Tag.PublicSubkey).length >= 1)!;
    const cut = full.map((p) => p.tag).lastIndexOf(Tag.PublicSubkey);
    const older = full.slice(0, cut);
    const fpr = Buffer.from(n.keys.ingest(older).fpr!, 'hex');
    n.vouch(fpr, [0, 1]);
    const v1 = Buffer.from(n.keys.get(fpr)!.packets);
    expect(n.keys.ingest(full).status).toBe('updated');
    const record = n.keys.get(fpr)!;
    // stored: the newer version; served: the accepted older one, byte for byte
    const served = n.versions.served(record)!;
    expect(Buffer.from(served.packets)).toEqual(v1);
    expect(n.versions.status(record)).toMatchObject({ revocationsAdded: false, pending: [expect.objectContaining({ members: ['alpha'] })] });
    n.vouch(fpr, [0, 1]);
    expect(n.versions.served(record)).toBe(record);
    expect(n.versions.status(record).pending).toEqual([]);
  });

  test('a version whose packets do not match the members’ SHA-256 is not served (the MD5 key hash alone carries no trust)', () => {
    const key = roleKeys()[1];
    const fpr = Buffer.from(n.keys.ingest(key).fpr!, 'hex');
    const record = n.keys.get(fpr)!;
    const digests = keyVersionDigests(splitPackets(record.packets));
    // two members vouch for the same key hash with other packet bytes: with this node's own
    // attestation there is no version with three matching attestations
    n.vouch(fpr, [0, 1, 2], { keyHash: digests.keyHash, packetsSha256: Buffer.alloc(32, 7) });
    const accepted = n.attestations.accepted(fpr);
    expect(accepted?.packetsSha256).toEqual(Buffer.alloc(32, 7));
    expect(n.versions.served(record)).toBeUndefined();
    expect(n.versions.acceptedPackets(fpr)).toBeUndefined();
  });
});

describe('the owner’s revocations on top of an accepted version', () => {
  let n: Node;
  let secret: openpgp.PrivateKey;
  let fpr: Buffer;
  let v1: Buffer;
  beforeEach(async () => {
    n = node();
    const k = await makeV4Key('revoke-me@example.org');
    secret = await openpgp.readPrivateKey({ binaryKey: k.secretKey });
    fpr = Buffer.from(n.keys.ingest(splitPackets(k.publicKey)).fpr!, 'hex');
    n.vouch(fpr, [0, 1]);
    v1 = Buffer.from(n.keys.get(fpr)!.packets);
  });
  afterEach(() => n.close());

  const revoked = async () => Buffer.from((await openpgp.revokeKey({ key: secret, format: 'binary' })).publicKey as Uint8Array);

  test('a key revocation is served at once, before the quorum attests the revoked version', async () => {
    expect(n.keys.ingest(splitPackets(await revoked())).status).toBe('updated');
    const record = n.keys.get(fpr)!;
    expect(n.attestations.accepted(fpr)!.keyHash).not.toEqual(Buffer.from(record.hash)); // the revoked version is pending
    const served = n.versions.served(record)!;
    expect(served.validity.revoked).toBe(true);
    const key = parseKey(splitPackets(served.packets));
    expect(key.directSigs.map((s) => peekSignatureType(s.body))).toContain(0x20);
    expect(n.versions.status(record).revocationsAdded).toBe(true);
    // the proof still carries exactly the attested bytes
    expect(n.versions.acceptedPackets(fpr)!.packets).toEqual(v1);
  });

  test('a revocation whose signature does not verify is not served', async () => {
    const key = parseKey(splitPackets(await revoked()));
    const sig = key.directSigs.find((s) => peekSignatureType(s.body) === 0x20)!;
    const body = Buffer.from(sig.body);
    body[body.length - 3] ^= 0x40; // inside the signature MPI
    const forged = joinPackets(flattenKey({ ...key, directSigs: [encodePacket(Tag.Signature, body)] }));
    n.keys.ingest(splitPackets(forged));
    const record = n.keys.get(fpr)!;
    expect(n.keys.get(fpr)!.validity.revoked).toBe(false);
    const served = n.versions.served(record)!;
    expect(Buffer.from(served.packets)).toEqual(v1);
    expect(served.validity.revoked).toBe(false);
  });

  test('a new User ID in the newer version is not served until the quorum accepts that version', async () => {
    const user = await openpgp.reformatKey({ privateKey: secret, userIDs: [{ name: 'Version Four', email: 'revoke-me@example.org' }, { email: 'added@example.org' }], format: 'binary' });
    n.keys.ingest(splitPackets(Buffer.from(user.publicKey as Uint8Array)));
    const record = n.keys.get(fpr)!;
    expect(parseKey(splitPackets(record.packets)).uids.length).toBeGreaterThan(1);
    const served = n.versions.served(record)!;
    expect(Buffer.from(served.packets)).toEqual(v1);
    n.vouch(fpr, [0, 1]);
    expect(Buffer.from(n.versions.served(record)!.packets)).toEqual(Buffer.from(record.packets));
  });
});
