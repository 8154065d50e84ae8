import { rmSync } from 'node:fs';
import { KeyStore } from '@dkeyserv/db';
import { Packet, parseKey, splitPackets, Tag } from '@dkeyserv/pgp';
import { makeV3Key } from '../../../test-fixtures/keys';
import { hasServedUserId } from '@dkeyserv/pgp';
import { attachAttestor } from '../src/attest-hook';
import { loadOrCreateIdentity, NodeIdentity } from '../src/identity';
import { packetsSha256 } from '../src/key-digest';
import { QuorumPolicy } from '../src/policy';
import { makeProof, verifyProof } from '../src/proof';
import { decodeStatement, signStatement } from '../src/statement';
import { AttestationStore } from '../src/store';
import { peerSet, roleKeys, tempDir } from './helpers';

/** A node: key store + attestation store with the attestor attached, in a fresh data directory. */
function node(clock: { now: number }, peers: NodeIdentity[] = [NodeIdentity.generate(), NodeIdentity.generate(), NodeIdentity.generate()]) {
  const dir = tempDir('dks-attestor-');
  const identity = loadOrCreateIdentity(dir);
  const { policy } = peerSet(4, { identities: [identity, ...peers] });
  const keys = KeyStore.open({ path: dir, now: () => clock.now });
  const attestations = AttestationStore.open(keys, policy);
  attachAttestor(keys, attestations, identity, policy, () => clock.now);
  return {
    dir,
    identity,
    peers,
    policy,
    keys,
    attestations,
    close: async () => {
      await keys.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The key without its last subkey (and that subkey's signatures): an older version. */
function withoutLastSubkey(packets: Packet[]): Packet[] {
  const i = packets.map((p) => p.tag).lastIndexOf(Tag.PublicSubkey);
  return i > 0 ? packets.slice(0, i) : packets;
}

describe('attestor hook on debian-role-keys', () => {
  const clock = { now: 1_700_000_000_000 };
  let n: ReturnType<typeof node>;
  beforeAll(() => {
    n = node(clock);
    n.keys.ingestMany(roleKeys());
  });
  afterAll(() => n.close());

  test('every servable key carries this node’s attestation of exactly the stored version', () => {
    let servable = 0;
    for (const record of n.keys.records()) {
      const att = n.attestations.latest(n.identity.id, record.fpr);
      if (!hasServedUserId(n.keys.parseRecord(record), record.validity)) {
        expect(att).toBeUndefined();
        continue;
      }
      servable++;
      expect(att).toBeDefined();
      expect(decodeStatement(att!.statement)).toEqual({
        signer: n.identity.id,
        fingerprint: record.fpr,
        keyHash: record.hash,
        packetsSha256: packetsSha256(splitPackets(record.packets)),
        policyHash: n.policy.hash,
        timestamp: clock.now,
      });
      // one member of four: pending until two more attest
      expect(n.attestations.accepted(record.fpr)).toBeUndefined();
      expect(n.attestations.pending(record.fpr).map((v) => v.members)).toEqual([['alpha']]);
    }
    expect(servable).toBe(n.keys.count());
    expect(servable).toBeGreaterThan(5);
  });

  test('two more members attesting the same versions make every key accepted, with a proof that verifies', () => {
    for (const record of n.keys.records()) {
      const version = { fingerprint: record.fpr, keyHash: record.hash, packetsSha256: packetsSha256(splitPackets(record.packets)) };
      for (const peer of n.peers.slice(0, 2)) {
        expect(n.attestations.add(signStatement(peer, { ...version, policyHash: n.policy.hash, timestamp: clock.now + 5 })).status).toBe('stored');
      }
      const accepted = n.attestations.accepted(record.fpr)!;
      expect(accepted.members).toEqual(['alpha', 'bravo', 'charlie']);
      expect(verifyProof(record.packets, makeProof(n.policy, accepted), n.policy)).toEqual({ ok: true, members: ['alpha', 'bravo', 'charlie'] });
    }
  });
});

describe('attestor hook', () => {
  const clock = { now: 1_700_000_000_000 };
  let n: ReturnType<typeof node>;
  beforeEach(() => {
    n = node(clock);
  });
  afterEach(() => n.close());

  test('an update is attested anew; two versions of a key in one batch get distinct timestamps', () => {
    const full = roleKeys().find((k) => withoutLastSubkey(k).length < k.length)!;
    const old = withoutLastSubkey(full);
    const results = n.keys.ingestMany([old, full]); // one transaction, one clock reading
    expect(results.map((r) => r.status)).toEqual(['new', 'updated']);
    const fpr = Buffer.from(results[1].fpr!, 'hex');
    const pending = n.attestations.pending(fpr);
    expect(pending.map((v) => [v.keyHash.toString('hex'), v.timestamps])).toEqual([
      [results[1].hash, [clock.now + 1]],
      [results[0].hash, [clock.now]],
    ]);
    expect(decodeStatement(n.attestations.latest(n.identity.id, fpr)!.statement).keyHash.toString('hex')).toBe(results[1].hash);
    expect(n.attestations.evidence()).toEqual([]);
  });

  test('the attestation commits or aborts with the key', () => {
    const [first, second] = roleKeys();
    let fail = true;
    n.keys.addHooks({
      onKeyChanged() {
        if (fail) throw new Error('disk full');
      },
    });
    expect(() => n.keys.ingestMany([first, second])).toThrow('disk full');
    expect(n.keys.count()).toBe(0);
    for (const key of [first, second]) expect(n.attestations.latest(n.identity.id, parseKey(key).fingerprint)).toBeUndefined();
    fail = false;
    const [r] = n.keys.ingestMany([first]);
    const fpr = Buffer.from(r.fpr!, 'hex');
    expect(n.attestations.latest(n.identity.id, fpr)).toBeDefined();
    expect(n.attestations.pending(fpr)).toHaveLength(1);
  });

  test('keys this node would not serve, and v3 keys, are stored but not attested', () => {
    const [key] = roleKeys();
    const bare = [key[0], key.find((p) => p.tag === Tag.UserId)!]; // a User ID without any self-signature
    const v3 = splitPackets(makeV3Key());
    const results = n.keys.ingestMany([bare, v3]);
    expect(results.map((r) => r.status)).toEqual(['new', 'new']);
    const [bareFpr, v3Fpr] = results.map((r) => Buffer.from(r.fpr!, 'hex'));
    expect(n.attestations.latest(n.identity.id, bareFpr)).toBeUndefined();
    expect(v3Fpr).toHaveLength(16);
    expect(hasServedUserId(n.keys.parseRecord(n.keys.get(v3Fpr)!), n.keys.get(v3Fpr)!.validity)).toBe(true);
    expect(n.attestations.latest(n.identity.id, v3Fpr)).toBeUndefined();
  });

  test('attaching refuses a node outside the policy or a policy other than the store’s', () => {
    const outsider = NodeIdentity.generate();
    expect(() => attachAttestor(n.keys, n.attestations, outsider, n.policy)).toThrow(/not a member of quorum policy test-quorum v1/);
    const other = new QuorumPolicy({ name: 'other', version: 1, members: n.policy.members });
    expect(() => attachAttestor(n.keys, n.attestations, n.identity, other)).toThrow(/runs policy test-quorum v1/);
  });
});
