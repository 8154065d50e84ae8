/**
 * The attestation set members reconcile (docs/quorum.md §7): every vote and both halves
 * of every piece of evidence, by 16-byte id; listeners (the recon tree) follow it inside the same
 * transaction, are rebuilt once when the policy changes, and `seq` moves with every change.
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { KeyStore } from '@dkeyserv/db';
import { attestationId, encodeAttestation, signStatement } from '../src/statement';
import { AttestationSetListener, AttestationStore } from '../src/store';
import { peerSet, tempDir } from './helpers';

const sha = (s: string) => createHash('sha256').update(s).digest();
const FPR = sha('fingerprint').subarray(0, 20);
const version = (name: string) => ({ keyHash: sha(`md5 ${name}`).subarray(0, 16), packetsSha256: sha(`sha ${name}`) });

/** A listener that keeps a plain set of hex ids and counts rebuilds. */
function mirror() {
  const ids = new Set<string>();
  let rebuilds = 0;
  const listener: AttestationSetListener = {
    added: (id) => void ids.add(id.toString('hex')),
    removed: (id) => void ids.delete(id.toString('hex')),
    rebuild: (all) => {
      rebuilds++;
      ids.clear();
      for (const id of all) ids.add(id.toString('hex'));
    },
  };
  return { ids, listener, rebuilds: () => rebuilds };
}

describe('the attestation set', () => {
  const { ids: members, policy } = peerSet(4);
  const [A, B] = members;
  let dir: string;
  let keys: KeyStore;
  beforeEach(() => {
    dir = tempDir('dks-attest-set-');
    keys = KeyStore.open({ path: dir });
  });
  afterEach(async () => {
    await keys.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const att = (who: typeof A, v: ReturnType<typeof version>, timestamp: number, p = policy) => signStatement(who, { fingerprint: FPR, ...v, policyHash: p.hash, timestamp });
  const hex = (a: ReturnType<typeof att>) => attestationId(a).toString('hex');

  test('votes join the set, a replaced vote leaves it, both halves of an equivocation stay; seq moves with each change', () => {
    const store = AttestationStore.open(keys, policy);
    const m = mirror();
    store.attachSet('test', m.listener);
    expect(m.rebuilds()).toBe(1);
    const seq0 = store.seq();
    const a1 = att(A, version('x1'), 100);
    store.add(a1);
    expect([...m.ids]).toEqual([hex(a1)]);
    expect(store.seq()).toBeGreaterThan(seq0);
    // a newer attestation of the same version by the same member replaces the older one
    const a1later = att(A, version('x1'), 200);
    expect(store.add(a1later).status).toBe('stored');
    expect([...m.ids]).toEqual([hex(a1later)]);
    expect(store.get(attestationId(a1))).toBeUndefined();
    expect(store.get(attestationId(a1later))).toEqual(a1later);
    // a re-sent statement adds nothing and moves nothing
    const seq1 = store.seq();
    expect(store.add(a1later).status).toBe('duplicate');
    expect(store.seq()).toBe(seq1);
    // equivocation: the conflicting statement joins the set, so it reaches every member
    const b1 = att(B, version('x1'), 300);
    const b2 = att(B, version('x2'), 300);
    store.add(b1);
    expect(store.add(b2).status).toBe('equivocation');
    expect(m.ids).toEqual(new Set([hex(a1later), hex(b1), hex(b2)]));
    expect(store.get(attestationId(b2))).toEqual(b2);
    expect(new Set([...store.ids()].map((id) => id.toString('hex')))).toEqual(m.ids);
  });

  test('undecodable wire bytes are dropped as malformed; the id is over the statement alone', () => {
    const store = AttestationStore.open(keys, policy);
    expect(store.addWire(Buffer.from('not an attestation'))).toEqual({ status: 'dropped', reason: 'malformed' });
    expect(store.dropped().malformed).toBe(1);
    const a = att(A, version('x1'), 100);
    expect(store.addWire(encodeAttestation(a)).status).toBe('stored');
    // another signature over the same statement is the same element
    expect(attestationId({ ...a, signature: Buffer.alloc(64, 1) })).toEqual(attestationId(a));
  });

  test('a listener is rebuilt once per policy: attaching again under the same policy keeps it, a new policy rebuilds it with its own ids only', () => {
    const v1 = AttestationStore.open(keys, policy);
    const a = att(A, version('x1'), 100);
    v1.add(a);
    const m = mirror();
    v1.attachSet('tree', m.listener);
    expect(m.rebuilds()).toBe(1);
    expect([...m.ids]).toEqual([hex(a)]);
    const again = mirror();
    AttestationStore.open(keys, policy).attachSet('tree', again.listener);
    expect(again.rebuilds()).toBe(0);
    const { policy: next } = peerSet(4, { identities: members, version: 2 });
    const v2 = AttestationStore.open(keys, next);
    const m2 = mirror();
    v2.attachSet('tree', m2.listener);
    expect(m2.rebuilds()).toBe(1);
    expect(m2.ids.size).toBe(0); // the old policy's attestation is not part of the new set
    const b = att(B, version('x1'), 200, next);
    v2.add(b);
    expect([...m2.ids]).toEqual([hex(b)]);
  });
});
