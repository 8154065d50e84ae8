import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { KeyStore } from '@dkeyserv/db';
import { NodeIdentity } from '../src/identity';
import { Attestation, encodeStatement, signStatement } from '../src/statement';
import { AttestationStore } from '../src/store';
import { peerSet, tempDir } from './helpers';

const sha = (s: string) => createHash('sha256').update(s).digest();
const FPR = sha('fingerprint').subarray(0, 20);
/** a key version: its SKS hash and packet digest */
const version = (name: string) => ({ keyHash: sha(`md5 ${name}`).subarray(0, 16), packetsSha256: sha(`sha ${name}`) });
const X1 = version('x1');
const X2 = version('x2');
const EVIL = version('evil');

describe('AttestationStore', () => {
  const { ids, policy } = peerSet(4); // alpha bravo charlie delta; k = 3, f = 1
  const [A, B, C, D] = ids;
  let dir: string;
  let keys: KeyStore;
  let store: AttestationStore;

  const att = (who: NodeIdentity, v: { keyHash: Buffer; packetsSha256: Buffer }, timestamp: number, fpr = FPR, policyHash = policy.hash): Attestation =>
    signStatement(who, { fingerprint: fpr, ...v, policyHash, timestamp });

  beforeEach(() => {
    dir = tempDir('dks-attest-');
    keys = KeyStore.open({ path: dir });
    store = AttestationStore.open(keys, policy);
  });
  afterEach(async () => {
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('k = 3 of 4 distinct members make a version accepted', () => {
    expect(store.accepted(FPR)).toBeUndefined();
    expect(store.add(att(A, X1, 100))).toMatchObject({ status: 'stored', latest: true });
    expect(store.add(att(B, X1, 110)).status).toBe('stored');
    expect(store.accepted(FPR)).toBeUndefined();
    expect(store.pending(FPR)).toMatchObject([{ keyHash: X1.keyHash, members: ['alpha', 'bravo'], timestamps: [100, 110] }]);
    expect(store.add(att(C, X1, 120)).status).toBe('stored');
    const accepted = store.accepted(FPR)!;
    expect(accepted).toMatchObject({ fingerprint: FPR, ...X1, members: ['alpha', 'bravo', 'charlie'], timestamps: [100, 110, 120], quorumTime: 120 });
    expect(accepted.attestations).toHaveLength(3);
    expect(store.pending(FPR)).toEqual([]);
  });

  test('a member’s attestation never goes backwards; older versions still count for themselves', () => {
    const a1 = att(A, X1, 100);
    const a2 = att(A, X2, 200);
    expect(store.add(a2)).toMatchObject({ status: 'stored', latest: true });
    // older, about another version: kept for that version, but not the member's newest
    expect(store.add(a1)).toMatchObject({ status: 'stored', latest: false });
    expect(store.latest(A.id, FPR)).toEqual(a2);
    // older, about the same version: superseded, never replaces the newer one
    expect(store.add(att(A, X2, 150)).status).toBe('superseded');
    expect(store.latest(A.id, FPR)).toEqual(a2);
    // newer about the same version: replaces it, and the old id leaves the set
    const a3 = att(A, X2, 300);
    const r = store.add(a3);
    expect(r).toMatchObject({ status: 'stored', latest: true });
    expect(store.latest(A.id, FPR)).toEqual(a3);
    expect(store.get(r.status === 'stored' ? r.id : Buffer.alloc(16))).toEqual(a3);
    expect(store.add(a2).status).toBe('superseded');
    // the same statement again (even re-signed) is a duplicate
    expect(store.add(a3).status).toBe('duplicate');
    expect(store.add(a1).status).toBe('duplicate');
    expect(store.evidence()).toEqual([]);
  });

  test('conflicting statements of one member are kept as evidence and the member stops counting', () => {
    store.add(att(A, X1, 100));
    store.add(att(B, X1, 100));
    const d1 = att(D, X1, 300);
    expect(store.add(d1).status).toBe('stored');
    expect(store.accepted(FPR)?.members).toEqual(['alpha', 'bravo', 'delta']);
    // same timestamp, another version
    const d2 = att(D, EVIL, 300);
    expect(store.add(d2).status).toBe('equivocation');
    const [ev, ...more] = store.evidence();
    expect(more).toEqual([]);
    expect(ev).toMatchObject({ signer: D.id, member: 'delta', fingerprint: FPR });
    expect(ev.attestations).toEqual(expect.arrayContaining([d1, d2]));
    // delta no longer counts for this key: X1 falls back to pending
    expect(store.accepted(FPR)).toBeUndefined();
    expect(store.pending(FPR).map((v) => v.members)).toEqual([['alpha', 'bravo']]);
    // same key hash, another packet digest (an MD5 collision): evidence too
    store.add(att(C, X1, 400));
    expect(store.add(att(C, { keyHash: X1.keyHash, packetsSha256: sha('collision') }, 500)).status).toBe('equivocation');
    expect(store.evidence().map((e) => e.member).sort()).toEqual(['charlie', 'delta']);
  });

  test('attestations from non-members, other policies, bad signatures or malformed bytes are dropped and counted', () => {
    const outsider = NodeIdentity.generate();
    expect(store.add(att(outsider, X1, 100))).toEqual({ status: 'dropped', reason: 'not-a-member' });
    const other = peerSet(4, { identities: ids, version: 2 }).policy;
    expect(store.add(att(A, X1, 100, FPR, other.hash))).toEqual({ status: 'dropped', reason: 'other-policy' });
    expect(store.add(att(A, X1, 101, FPR, other.hash))).toEqual({ status: 'dropped', reason: 'other-policy' });
    const good = att(B, X1, 100);
    const bad = { statement: good.statement, signature: Buffer.from(good.signature).fill(1, 0, 1) };
    expect(store.add(bad)).toEqual({ status: 'dropped', reason: 'bad-signature' });
    expect(store.add({ statement: good.statement.subarray(1), signature: good.signature })).toEqual({ status: 'dropped', reason: 'malformed' });
    expect(store.dropped()).toEqual({ malformed: 1, 'other-policy': 2, 'not-a-member': 1, 'bad-signature': 1 });
    expect(store.accepted(FPR)).toBeUndefined();
    expect(store.pending(FPR)).toEqual([]);
  });

  test('a Byzantine member cannot get a version accepted: re-signing, equivocating, replaying, forging', () => {
    // the honest version, accepted by alpha, bravo, charlie
    for (const [who, t] of [[A, 100], [B, 101], [C, 102]] as const) store.add(att(who, X1, t));
    const honest = store.accepted(FPR)!;
    // alpha alone has already seen X2 (not yet accepted)
    const alphaX2 = att(A, X2, 200);
    store.add(alphaX2);

    // delta pushes EVIL: signs it, and again later (still one member)
    expect(store.add(att(D, EVIL, 1000)).status).toBe('stored');
    expect(store.add(att(D, EVIL, 1001)).status).toBe('stored');
    // forges bravo's and charlie's attestations of EVIL, signing with its own key
    for (const victim of [B, C]) {
      const statement = encodeStatement({ signer: victim.id, fingerprint: FPR, ...EVIL, policyHash: policy.hash, timestamp: 1002 });
      expect(store.add({ statement, signature: D.sign(statement) })).toEqual({ status: 'dropped', reason: 'bad-signature' });
    }
    // grafts alpha's real signature onto a statement about EVIL
    const graft = encodeStatement({ signer: A.id, fingerprint: FPR, ...EVIL, policyHash: policy.hash, timestamp: 200 });
    expect(store.add({ statement: graft, signature: alphaX2.signature }).status).toBe('dropped');
    // replays alpha's old attestations: they are duplicates and say nothing about EVIL
    expect(store.add(att(A, X1, 100)).status).toBe('duplicate');
    expect(store.add(alphaX2).status).toBe('duplicate');
    // brings sybils that are members of its own policy only
    const sybils = [NodeIdentity.generate(), NodeIdentity.generate()];
    const own = peerSet(3, { identities: [D, ...sybils], name: 'delta-net' }).policy;
    for (const s of sybils) expect(store.add(att(s, EVIL, 1003, FPR, own.hash)).status).toBe('dropped');
    for (const s of sybils) expect(store.add(att(s, EVIL, 1003)).status).toBe('dropped');
    expect(store.accepted(FPR)).toEqual(honest);
    // and finally equivocates, which costs it its vote on this key altogether
    expect(store.add(att(D, X2, 1001)).status).toBe('equivocation');
    expect(store.accepted(FPR)).toEqual(honest);
    expect(store.pending(FPR).map((v) => [v.keyHash, v.members])).toEqual([[X2.keyHash, ['alpha']]]);
    expect(store.dropped()).toMatchObject({ 'bad-signature': 3, 'other-policy': 2, 'not-a-member': 2 });
  });

  test('the newest accepted version is the one members attested later; far-future timestamps cannot roll it back', () => {
    for (const [who, t] of [[A, 100], [B, 101], [C, 102]] as const) store.add(att(who, X1, t));
    for (const [who, t] of [[A, 200], [B, 201], [C, 202]] as const) store.add(att(who, X2, t));
    expect(store.accepted(FPR)).toMatchObject({ ...X2, quorumTime: 202 });
    // delta signs the old version with a timestamp far in the future: one member's word
    expect(store.add(att(D, X1, 9_999_999_999_999)).status).toBe('stored');
    expect(store.accepted(FPR)).toMatchObject({ ...X2, quorumTime: 202 });
    expect(store.pending(FPR)).toEqual([]);
  });

  test('a late honest member and a faulty one together cannot roll a key back', () => {
    // X1 accepted by alpha, bravo and delta (faulty); X2 by alpha, bravo and charlie, who was
    // offline and attests X1 late, just before it stores X2
    for (const [who, t] of [[A, 100], [B, 101], [D, 102]] as const) store.add(att(who, X1, t));
    for (const [who, t] of [[A, 200], [B, 201]] as const) store.add(att(who, X2, t));
    store.add(att(C, X1, 300));
    store.add(att(C, X2, 301));
    expect(store.accepted(FPR)).toMatchObject(X2);
    // delta re-signs X1 in the far future: X1's timestamps now beat X2's on every clock measure,
    // but alpha, bravo and charlie each attested X2 after X1
    store.add(att(D, X1, 9_999_999_999_999));
    expect(store.accepted(FPR)).toMatchObject(X2);
  });

  test('rapid updates: a version attested late by one member does not outrank its successor', () => {
    // X1 reaches quorum only through charlie's late attestation at 150, after X2 reached quorum at 130
    for (const [who, t] of [[A, 100], [B, 101]] as const) store.add(att(who, X1, t));
    for (const [who, t] of [[A, 110], [B, 120], [D, 130]] as const) store.add(att(who, X2, t));
    store.add(att(C, X1, 150));
    expect(store.accepted(FPR)).toMatchObject({ ...X2, quorumTime: 130 });
  });

  // two accepted forks that no f+1 members ordered: alpha saw Y1 first, bravo Y2 first
  const [Y1, Y2] = [version('y1'), version('y2')];
  const forks = (bravoY1: number) =>
    [[A, Y1, 100], [B, Y2, 100], [C, Y1, 105], [D, Y2, 107], [A, Y2, 110], [B, Y1, bravoY1]] as const;

  test('versions left standing are ordered by quorum time until f+1 members order them', () => {
    for (const [who, v, t] of forks(111)) store.add(att(who, v, t));
    expect(store.accepted(FPR)).toMatchObject({ ...Y1, quorumTime: 111 });
    // charlie attests Y2 after Y1: alpha and charlie (f+1 = 2) now order Y2 after Y1
    store.add(att(C, Y2, 112));
    expect(store.accepted(FPR)).toMatchObject({ ...Y2, quorumTime: 110 });
  });

  test('with equal quorum times the lower key hash is accepted, alike on every node', () => {
    for (const [who, v, t] of forks(110)) store.add(att(who, v, t));
    const lower = Buffer.compare(Y1.keyHash, Y2.keyHash) < 0 ? Y1 : Y2;
    expect(store.accepted(FPR)).toMatchObject({ ...lower, quorumTime: 110 });
  });

  test('writes join an enclosing key-store transaction and abort with it', () => {
    const a = att(A, X1, 100);
    expect(() =>
      keys.transaction(() => {
        expect(store.add(a).status).toBe('stored');
        expect(store.latest(A.id, FPR)).toEqual(a); // visible inside the transaction
        store.add({ statement: a.statement.subarray(1), signature: a.signature }); // a counted drop
        throw new Error('abort');
      }),
    ).toThrow('abort');
    expect(store.latest(A.id, FPR)).toBeUndefined();
    expect(store.dropped().malformed).toBe(0);
    keys.transaction(() => store.add(a));
    expect(store.latest(A.id, FPR)).toEqual(a);
  });

  test('attestations persist, and a new policy starts from nothing', async () => {
    for (const who of [A, B, C]) store.add(att(who, X1, 100));
    await keys.close();
    keys = KeyStore.open({ path: dir });
    store = AttestationStore.open(keys, policy);
    expect(store.accepted(FPR)?.members).toEqual(['alpha', 'bravo', 'charlie']);
    const next = peerSet(4, { identities: ids, version: 2 }).policy;
    const store2 = AttestationStore.open(keys, next);
    expect(store2.accepted(FPR)).toBeUndefined();
    expect(store2.latest(A.id, FPR)).toBeUndefined();
    // re-attested under the new policy, the same (key, member, version) entries are replaced
    for (const who of [A, B, C]) expect(store2.add(att(who, X1, 50, FPR, next.hash)).status).toBe('stored');
    expect(store2.accepted(FPR)?.members).toEqual(['alpha', 'bravo', 'charlie']);
    expect(store.accepted(FPR)).toBeUndefined();
  });

  test('attest signs as this node with strictly increasing timestamps per key', () => {
    const r1 = store.attest(A, { fingerprint: FPR, ...X1 }, 500);
    const r2 = store.attest(A, { fingerprint: FPR, ...X2 }, 500); // same millisecond
    const r3 = store.attest(A, { fingerprint: FPR, ...X1 }, 400); // clock went back
    expect([r1.result.status, r2.result.status, r3.result.status]).toEqual(['stored', 'stored', 'stored']);
    const ts = [r1, r2, r3].map((r) => r.attestation.statement.readBigUInt64BE(r.attestation.statement.length - 8));
    expect(ts).toEqual([500n, 501n, 502n]);
    expect(store.latest(A.id, FPR)).toEqual(r3.attestation);
    expect(store.evidence()).toEqual([]);
    expect(() => store.attest(NodeIdentity.generate(), { fingerprint: FPR, ...X1 }, 1)).toThrow(/not a member/);
  });
});
