import { rmSync } from 'node:fs';
import { KeyRecord, KeyStore } from '@dkeyserv/db';
import { encodePacket, joinPackets, keyIdentity, Packet, splitPackets, Tag } from '@dkeyserv/pgp';
import { makeV6Key } from '../../../test-fixtures/keys';
import { MalformedError } from '../src/errors';
import { keyVersionDigests } from '../src/key-digest';
import { makeProof, parseProof, proofToJson, QuorumProof, verifyProof } from '../src/proof';
import { encodeStatement, signStatement } from '../src/statement';
import { AttestationStore } from '../src/store';
import { peerSet, roleKeys, tempDir } from './helpers';

describe('quorum proofs', () => {
  const { ids, policy } = peerSet(4); // k = 3
  let dir: string;
  let keys: KeyStore;
  let record: KeyRecord;
  let proof: QuorumProof;

  const attest = (who: number, bytes: Buffer, fpr: Buffer, timestamp = 1_700_000_000_000, policyHash = policy.hash) =>
    signStatement(ids[who], { fingerprint: fpr, ...keyVersionDigests(splitPackets(bytes)), policyHash, timestamp });

  beforeAll(() => {
    dir = tempDir('dks-proof-');
    keys = KeyStore.open({ path: dir });
    const attestations = AttestationStore.open(keys, policy);
    keys.ingest(roleKeys()[0]);
    record = [...keys.records()][0];
    for (const who of [1, 2, 3]) attestations.add(attest(who, record.packets, record.fpr));
    // through JSON text, as a client receives it
    proof = parseProof(JSON.parse(JSON.stringify(proofToJson(makeProof(policy, attestations.accepted(record.fpr)!)))));
  });
  afterAll(async () => {
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a real proof verifies offline and names the members', () => {
    expect(verifyProof(record.packets, proof, policy)).toEqual({ ok: true, members: ['bravo', 'charlie', 'delta'] });
    const json = proofToJson(proof);
    expect(json).toMatchObject({ policy: { name: 'test-quorum', version: 1 }, fingerprint: record.fpr.toString('hex'), keyHash: record.hash.toString('hex') });
    expect(json.attestations).toHaveLength(3);
    // the same packets with other headers, signatures in another order: the same version
    const packets = splitPackets(record.packets).map((p) => encodePacket(p.tag, p.body));
    const runs: Packet[][] = [];
    for (const p of packets) {
      if (p.tag === Tag.Signature && runs.at(-1)?.[0].tag === Tag.Signature) runs.at(-1)!.push(p);
      else runs.push([p]);
    }
    const reordered = joinPackets(runs.flatMap((run) => [...run].reverse()));
    expect(reordered.equals(record.packets)).toBe(false);
    expect(verifyProof(reordered, proof, policy).ok).toBe(true);
  });

  test('a tampered key is rejected', () => {
    const flipped = Buffer.from(record.packets);
    flipped[flipped.length - 1] ^= 1; // last byte of the last signature
    expect(verifyProof(flipped, proof, policy)).toMatchObject({ ok: false, reason: 'key-mismatch' });
    // an older version (without its last subkey): a different key hash
    const packets = splitPackets(record.packets);
    const older = joinPackets(packets.slice(0, packets.map((p) => p.tag).lastIndexOf(Tag.PublicSubkey)));
    expect(verifyProof(older, proof, policy)).toMatchObject({ ok: false, reason: 'key-mismatch', message: expect.stringMatching(/SKS hash/) });
    // another key altogether
    const other = joinPackets(roleKeys()[1]);
    expect(verifyProof(other, proof, policy)).toMatchObject({ ok: false, reason: 'key-mismatch', message: expect.stringMatching(/the key is/) });
    expect(verifyProof(Buffer.from([0x99, 0, 5, 1]), proof, policy)).toMatchObject({ ok: false, reason: 'malformed-key' });
  });

  test('a tampered attestation is rejected', () => {
    for (const at of [60, 100, 159]) {
      const statement = Buffer.from(proof.attestations[0].statement);
      statement[at] ^= 1;
      const tampered = { ...proof, attestations: [{ ...proof.attestations[0], statement }, ...proof.attestations.slice(1)] };
      expect(verifyProof(record.packets, tampered, policy)).toMatchObject({ ok: false, reason: 'bad-attestation' });
    }
    const signature = Buffer.from(proof.attestations[2].signature);
    signature[0] ^= 1;
    const badSig = { ...proof, attestations: [...proof.attestations.slice(0, 2), { ...proof.attestations[2], signature }] };
    expect(verifyProof(record.packets, badSig, policy)).toEqual({ ok: false, members: [], reason: 'bad-attestation', message: 'attestation 2: bad-signature' });
    // a genuine attestation of another key slipped in
    const otherKey = joinPackets(roleKeys()[1]);
    const stray = attest(0, otherKey, keysFpr(otherKey));
    expect(verifyProof(record.packets, { ...proof, attestations: [...proof.attestations, stray] }, policy)).toMatchObject({ ok: false, reason: 'bad-attestation', message: expect.stringMatching(/alpha.*another key version/) });
    // a forged attestation in alpha's name
    const forged = encodeStatement({ signer: ids[0].id, fingerprint: record.fpr, ...keyVersionDigests(splitPackets(record.packets)), policyHash: policy.hash, timestamp: 1 });
    const withForgery = { ...proof, attestations: [...proof.attestations.slice(0, 2), { statement: forged, signature: ids[3].sign(forged) }] };
    expect(verifyProof(record.packets, withForgery, policy)).toMatchObject({ ok: false, reason: 'bad-attestation' });
  });

  test('fewer than k distinct members are not enough', () => {
    const two = { ...proof, attestations: proof.attestations.slice(0, 2) };
    expect(verifyProof(record.packets, two, policy)).toEqual({ ok: false, members: ['bravo', 'charlie'], reason: 'too-few-members', message: '2 of 4 members attested this version; 3 are needed' });
    // one member's two attestations count once
    const again = attest(1, record.packets, record.fpr, 1_700_000_000_999);
    expect(verifyProof(record.packets, { ...two, attestations: [...two.attestations, again] }, policy)).toMatchObject({ ok: false, reason: 'too-few-members' });
    expect(verifyProof(record.packets, { ...proof, attestations: [] }, policy)).toMatchObject({ ok: false, reason: 'too-few-members' });
  });

  test('a proof for another policy is rejected', () => {
    const next = peerSet(4, { identities: ids, version: 2 }).policy;
    expect(verifyProof(record.packets, proof, next)).toMatchObject({ ok: false, reason: 'other-policy', message: expect.stringMatching(/test-quorum v1, not test-quorum v2/) });
    // relabelled as the other policy: its attestations still name the old one
    const relabelled = { ...proof, policy: { name: next.name, version: next.version, hash: next.hash } };
    expect(verifyProof(record.packets, relabelled, next)).toEqual({ ok: false, members: [], reason: 'bad-attestation', message: 'attestation 0: other-policy' });
    // a policy without these members (same name and version, other keys)
    const strangers = peerSet(4).policy;
    expect(verifyProof(record.packets, { ...proof, policy: { ...proof.policy, hash: strangers.hash } }, strangers)).toMatchObject({ ok: false, reason: 'bad-attestation' });
  });

  test('v6 keys (32-byte fingerprints) are proven the same way', async () => {
    const bytes = (await makeV6Key()).publicKey;
    const fpr = keysFpr(bytes);
    expect(fpr).toHaveLength(32);
    const digests = keyVersionDigests(splitPackets(bytes));
    const v6proof: QuorumProof = { policy: proof.policy, fingerprint: fpr, ...digests, attestations: [0, 1, 2].map((who) => attest(who, bytes, fpr)) };
    const roundTrip = parseProof(JSON.parse(JSON.stringify(proofToJson(v6proof))));
    expect(verifyProof(bytes, roundTrip, policy)).toEqual({ ok: true, members: ['alpha', 'bravo', 'charlie'] });
  });

  test('proof JSON is parsed strictly', () => {
    const good = proofToJson(proof);
    const bad = (change: (j: Record<string, unknown>) => void, message: RegExp) => {
      const j = JSON.parse(JSON.stringify(good));
      change(j);
      expect(() => parseProof(j)).toThrow(MalformedError);
      expect(() => parseProof(j)).toThrow(message);
    };
    bad((j) => delete j.keyHash, /keyHash is missing/);
    bad((j) => (j.fingerprint = (j.fingerprint as string).toUpperCase()), /fingerprint must be hex/);
    bad((j) => (j.fingerprint = (j.fingerprint as string).slice(2)), /fingerprint has 19 bytes/);
    bad((j) => (j.keyHash = 'abc'), /keyHash must be hex/);
    bad((j) => (j.packetsSha256 = 'not base64!'), /packetsSha256 must be base64/);
    bad((j) => ((j.policy as Record<string, unknown>).hash = Buffer.alloc(31).toString('base64')), /policy\.hash has 31 bytes/);
    bad((j) => ((j.policy as Record<string, unknown>).version = '1'), /policy\.version must be a whole number/);
    bad((j) => (j.attestations = 'x'), /attestations must be a list/);
    bad((j) => ((j.attestations as string[])[1] = Buffer.from('junk').toString('base64')), /attestations\[1\]: attestation: /);
    const a0 = Buffer.from(good.attestations[0], 'base64');
    bad((j) => ((j.attestations as string[])[0] = Buffer.concat([a0, Buffer.alloc(3)]).toString('base64')), /attestations\[0\]: attestation: 3 trailing bytes/);
    bad((j) => ((j.attestations as string[])[0] = a0.toString('base64url')), /^proof: attestations\[0\] must be base64$/);
    expect(() => parseProof([])).toThrow(/the proof must be an object/);
  });
});

function keysFpr(bytes: Buffer): Buffer {
  return keyIdentity(splitPackets(bytes)[0].body).fingerprint;
}
