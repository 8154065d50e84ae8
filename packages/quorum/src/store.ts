/**
 * The attestation store and the accepted view (docs/quorum.md §6, §8), in one binary database of
 * the key store's LMDB environment. Every write is synchronous and runs in a (child) transaction,
 * so when called from a key-store hook it commits or aborts with the key it is about.
 *
 * Rules, after the C2SP witnesses (docs/quorum.md §6):
 * - only attestations that verify under the current policy are kept; the others are dropped and
 *   counted by reason (`malformed`, `other-policy`, `not-a-member`, `bad-signature`);
 * - one attestation per (fingerprint, signer, key hash), the newest: an older statement never
 *   replaces a newer one, so a signer's newest attestation of a fingerprint (`latest`) only moves
 *   forward. An older attestation of *another* version is still kept: it is a true statement
 *   about that version, and peers reconciling the attestation set must converge on it;
 * - two different statements of one signer about one fingerprint with the same timestamp, or
 *   about the same key hash with different packet digests, are equivocation: both are kept as
 *   evidence, and from then on that signer counts for no version of that fingerprint;
 * - a version (key hash and packet digest) is accepted once k distinct members attested it.
 *
 * Which accepted version is the newest is decided by the members' own order, not by comparing
 * clocks across members: an honest node attests a key's versions in the order it stores them,
 * and the store only ever moves a key forward (merge), so "member m attested W later than V" is
 * true of every honest m. W supersedes V when at least f+1 members say so — then at least one
 * honest member does, and the f faulty members a policy tolerates can neither make a stale
 * version supersede a newer one (a rollback, even with far-future timestamps) nor stop the newer
 * one from superseding it. Any two quorums share at least 2k − n ≥ f+1 members, so an older
 * accepted version is superseded as soon as the members both quorums share have attested both,
 * unless faulty members among them vote the other way; the versions left standing are then
 * ordered by quorum time, the timestamp of the k-th attestation (faulty members can only pull it
 * earlier, never push a stale version later).
 *
 * Layout, one key prefix byte per table:
 *
 *   0x01 vote      len(fpr) fpr signer(32) keyHash(16)   → statement ‖ signature
 *   0x02 evidence  len(fpr) fpr signer(32) id(16) id(16) → attestation a ‖ attestation b
 *   0x03 id        id(16)                                → statement ‖ signature
 *   0x04 dropped   reason (ASCII)                        → u64 count
 *   0x05 set mark  listener name (ASCII)                 → policy hash its set was built for
 *   0x06 seq       (empty)                               → u64, bumped by every change of the set
 *
 * The id table is the attestation set peers reconcile (docs/quorum.md §7): every vote
 * and both halves of every piece of evidence, so that equivocation reaches every member. A vote
 * replaced by the signer's newer attestation of the same version leaves the set. Set listeners
 * (the recon tree over the ids, wired by the cli) see the changes of the current policy's part
 * inside the same transaction.
 */
import type { KeyStore } from '@dkeyserv/db';
import { MalformedError, PolicyError, QuorumError } from './errors';
import { NodeIdentity } from './identity';
import { BinaryDatabase, fprPart, prefixRange } from './keyspace';
import { QuorumPolicy } from './policy';
import {
  Attestation,
  attestationId,
  decodeAttestation,
  decodeStatement,
  DropReason,
  encodeAttestation,
  signStatement,
  StatementFields,
  verifyAttestation,
} from './statement';

const VOTE = 0x01;
const EVIDENCE = 0x02;
const ID = 0x03;
const DROPPED = 0x04;
const SET_MARK = 0x05;
const SEQ = 0x06;

/** Something kept equal to the attestation set of the current policy (the recon tree over its ids). */
export interface AttestationSetListener {
  /** an id joined the set (inside the store's write transaction) */
  added(id: Buffer): void;
  /** an id left the set */
  removed(id: Buffer): void;
  /** replace everything by `ids` (first attach, or after the policy changed) */
  rebuild(ids: Buffer[]): void;
}

export const DROP_REASONS: readonly DropReason[] = ['malformed', 'other-policy', 'not-a-member', 'bad-signature'];

/** What `add` did with an attestation. */
export type AddResult =
  /** kept; `latest`: it is now the signer's newest attestation of the fingerprint */
  | { status: 'stored'; id: Buffer; latest: boolean }
  /** this statement is already stored */
  | { status: 'duplicate'; id: Buffer }
  /** the signer has a newer attestation of this same version */
  | { status: 'superseded'; id: Buffer }
  /** conflicts with a stored statement of the same signer: kept as evidence */
  | { status: 'equivocation'; id: Buffer }
  | { status: 'dropped'; reason: DropReason };

/** One version of a key and the members attesting it. */
export interface KeyVersion {
  fingerprint: Buffer;
  keyHash: Buffer;
  packetsSha256: Buffer;
  /** names of the attesting members, in policy order */
  members: string[];
  /** their attestations, one per member, in the same order */
  attestations: Attestation[];
  /** and their timestamps (ms) */
  timestamps: number[];
  /** for an accepted version: the k-th earliest timestamp, when it reached quorum (ms) */
  quorumTime?: number;
}

/** Two conflicting signed statements of one member about one key. */
export interface Evidence {
  signer: Buffer;
  /** the signer's name in the current policy, if it is a member */
  member?: string;
  fingerprint: Buffer;
  attestations: [Attestation, Attestation];
}

interface Stored {
  att: Attestation;
  fields: StatementFields;
}

/** A version being counted: its fields and, per signer (hex), that signer's attestation. */
interface Version {
  /** keyHash ‖ packetsSha256 */
  id: Buffer;
  fields: StatementFields;
  entries: Map<string, Stored>;
}

/** The timestamp of a version's k-th attestation (it must have at least k). */
function quorumTime(v: Version, k: number): number {
  return [...v.entries.values()].map((e) => e.fields.timestamp).sort((a, b) => a - b)[k - 1];
}

export class AttestationStore {
  private readonly listeners: AttestationSetListener[] = [];

  private constructor(
    private readonly db: BinaryDatabase,
    readonly policy: QuorumPolicy,
  ) {}

  /** The attestation store in `keyStore`'s environment, under `policy`. */
  static open(keyStore: KeyStore, policy: QuorumPolicy): AttestationStore {
    const db = keyStore.openDatabase('attest');
    if (!db) throw new QuorumError('read-only', 'this key store was opened read-only and has no attestations yet');
    return new AttestationStore(db, policy);
  }

  /** Verify and keep an attestation from anywhere (a peer, a proof, this node). */
  add(att: Attestation): AddResult {
    const v = verifyAttestation(att, this.policy);
    return this.db.transactionSync(() => {
      if (!v.ok) {
        this.countDrop(v.reason);
        return { status: 'dropped', reason: v.reason } as const;
      }
      return this.insert(att, v.fields);
    });
  }

  /** `add` for wire bytes (statement ‖ signature) from a peer: undecodable bytes are dropped as `malformed`. */
  addWire(bytes: Buffer): AddResult {
    let att: Attestation;
    try {
      att = decodeAttestation(bytes);
    } catch (e) {
      if (!(e instanceof MalformedError)) throw e;
      this.db.transactionSync(() => this.countDrop('malformed'));
      return { status: 'dropped', reason: 'malformed' };
    }
    return this.add(att);
  }

  /**
   * Sign and keep this node's attestation of a key version, timestamped `now` or, if that would
   * not be later than its newest attestation of the key, 1 ms after it: the node's own statements
   * about a key are strictly ordered even when it stores two versions within one millisecond
   * (an import batch), so it never equivocates by accident.
   */
  attest(identity: NodeIdentity, version: Pick<StatementFields, 'fingerprint' | 'keyHash' | 'packetsSha256'>, now: number): { attestation: Attestation; result: AddResult } {
    if (!this.policy.member(identity.id)) throw new PolicyError('not-a-member', `this node (${identity.idText}) is not a member of quorum policy ${this.policy}`);
    return this.db.transactionSync(() => {
      const mine = this.signerEntries(version.fingerprint, identity.id);
      const newest = Math.max(-1, ...mine.map((e) => e.fields.timestamp));
      const fields = { ...version, policyHash: this.policy.hash, timestamp: Math.max(now, newest + 1) };
      const attestation = signStatement(identity, fields);
      // signed here and now: no need to pay for verifying the signature
      return { attestation, result: this.insert(attestation, { ...fields, signer: identity.id }, mine) };
    });
  }

  /**
   * Inside a write transaction: apply the monotonicity and equivocation rules, then keep.
   * `mine`: the signer's stored attestations of the fingerprint.
   */
  private insert(att: Attestation, f: StatementFields, mine = this.signerEntries(f.fingerprint, f.signer)): AddResult {
    const id = attestationId(att);
    // the same statement (perhaps with another valid signature) adds nothing
    if (this.db.get(this.idKey(id))) return { status: 'duplicate', id };
    for (const e of mine) {
      const sameTime = e.fields.timestamp === f.timestamp;
      const twoDigests = e.fields.keyHash.equals(f.keyHash) && !e.fields.packetsSha256.equals(f.packetsSha256);
      if (sameTime || twoDigests) {
        this.putEvidence(f, e.att, att);
        this.putId(id, att);
        return { status: 'equivocation', id };
      }
    }
    const sameVersion = mine.find((e) => e.fields.keyHash.equals(f.keyHash));
    if (sameVersion && sameVersion.fields.timestamp > f.timestamp) return { status: 'superseded', id };
    const key = Buffer.concat([Buffer.from([VOTE]), fprPart(f.fingerprint), f.signer, f.keyHash]);
    const replaced = this.db.get(key);
    // (also an entry left by an earlier policy, which was never in the current set)
    if (replaced) {
      const old = decodeAttestation(replaced);
      const oldId = attestationId(old);
      this.db.removeSync(this.idKey(oldId));
      this.bump();
      if (decodeStatement(old.statement).policyHash.equals(this.policy.hash)) for (const l of this.listeners) l.removed(oldId);
    }
    this.db.putSync(key, encodeAttestation(att));
    this.putId(id, att);
    const latest = mine.every((e) => e.fields.timestamp < f.timestamp);
    return { status: 'stored', id, latest };
  }

  private idKey(id: Buffer): Buffer {
    return Buffer.concat([Buffer.from([ID]), id]);
  }

  /** A new member of the set (of the current policy: only verified attestations get here). */
  private putId(id: Buffer, att: Attestation) {
    this.db.putSync(this.idKey(id), encodeAttestation(att));
    this.bump();
    for (const l of this.listeners) l.added(id);
  }

  private bump() {
    const key = Buffer.from([SEQ]);
    const old = this.db.get(key);
    const next = Buffer.alloc(8);
    next.writeBigUInt64BE((old ? Buffer.from(old).readBigUInt64BE() : 0n) + 1n);
    this.db.putSync(key, next);
  }

  /**
   * A number that changes whenever the attestation set does (and with it, perhaps, the accepted
   * view): response caches compare it, also across processes sharing the data directory.
   */
  seq(): number {
    const v = this.db.get(Buffer.from([SEQ]));
    return v ? Number(Buffer.from(v).readBigUInt64BE()) : 0;
  }

  /** The ids of the current policy's attestation set. */
  *ids(): Generator<Buffer> {
    for (const { key, value } of this.db.getRange(prefixRange(Buffer.from([ID])))) {
      if (decodeStatement(decodeAttestation(value).statement).policyHash.equals(this.policy.hash)) yield Buffer.from(key.subarray(1));
    }
  }

  /**
   * Keep `listener` equal to the current policy's attestation set from now on; `name` marks
   * which policy its contents were built for, so it is rebuilt once after the policy changes.
   */
  attachSet(name: string, listener: AttestationSetListener): void {
    const markKey = Buffer.concat([Buffer.from([SET_MARK]), Buffer.from(name)]);
    this.db.transactionSync(() => {
      const mark = this.db.get(markKey);
      if (!mark || !Buffer.from(mark).equals(this.policy.hash)) {
        listener.rebuild([...this.ids()]);
        this.db.putSync(markKey, this.policy.hash);
      }
    });
    this.listeners.push(listener);
  }

  /** A signer's stored attestations of a fingerprint under the current policy. */
  private signerEntries(fpr: Buffer, signer: Buffer): Stored[] {
    return this.votes(Buffer.concat([Buffer.from([VOTE]), fprPart(fpr), signer]));
  }

  private votes(prefix: Buffer): Stored[] {
    const out: Stored[] = [];
    for (const { value } of this.db.getRange(prefixRange(prefix))) {
      const att = decodeAttestation(value);
      const fields = decodeStatement(att.statement);
      if (fields.policyHash.equals(this.policy.hash)) out.push({ att, fields });
    }
    return out;
  }

  private putEvidence(f: StatementFields, a: Attestation, b: Attestation) {
    const [x, y] = [a, b].map((att) => ({ att, id: attestationId(att) })).sort((p, q) => Buffer.compare(p.id, q.id));
    const key = Buffer.concat([Buffer.from([EVIDENCE]), fprPart(f.fingerprint), f.signer, x.id, y.id]);
    this.db.putSync(key, Buffer.concat([encodeAttestation(x.att), encodeAttestation(y.att)]));
  }

  private countDrop(reason: DropReason) {
    const key = Buffer.concat([Buffer.from([DROPPED]), Buffer.from(reason)]);
    const old = this.db.get(key);
    const count = Buffer.alloc(8);
    count.writeBigUInt64BE((old ? old.readBigUInt64BE() : 0n) + 1n);
    this.db.putSync(key, count);
  }

  /** The signer's newest attestation of a fingerprint: it never goes backwards. */
  latest(signer: Buffer, fpr: Buffer): Attestation | undefined {
    let best: Stored | undefined;
    for (const e of this.signerEntries(fpr, signer)) if (!best || e.fields.timestamp > best.fields.timestamp) best = e;
    return best?.att;
  }

  /** The stored attestation with this id (the element of the attestation set). */
  get(id: Buffer): Attestation | undefined {
    const value = this.getWire(id);
    return value && decodeAttestation(value);
  }

  /** The same in wire form (statement ‖ signature), as stored. */
  getWire(id: Buffer): Buffer | undefined {
    const value = this.db.get(this.idKey(id));
    return value && Buffer.from(value);
  }

  /** Signers (hex node ids) with evidence of equivocation about `fpr` under the current policy. */
  private equivocators(fpr: Buffer): Set<string> {
    const out = new Set<string>();
    for (const e of this.evidenceIn(Buffer.concat([Buffer.from([EVIDENCE]), fprPart(fpr)]))) {
      if (decodeStatement(e.attestations[0].statement).policyHash.equals(this.policy.hash)) out.add(e.signer.toString('hex'));
    }
    return out;
  }

  /** Every version of `fpr` that counted members attested, with their timestamps. */
  private versions(fpr: Buffer): Version[] {
    const excluded = this.equivocators(fpr);
    const groups = new Map<string, Version>();
    for (const e of this.votes(Buffer.concat([Buffer.from([VOTE]), fprPart(fpr)]))) {
      const signer = e.fields.signer.toString('hex');
      if (excluded.has(signer)) continue;
      const id = Buffer.concat([e.fields.keyHash, e.fields.packetsSha256]);
      const group = groups.get(id.toString('hex')) ?? { id, fields: e.fields, entries: new Map() };
      group.entries.set(signer, e);
      groups.set(id.toString('hex'), group);
    }
    return [...groups.values()];
  }

  /** Members that attested both versions and `w` later than `v`. */
  private saysAfter(w: Version, v: Version): number {
    let n = 0;
    for (const [signer, e] of w.entries) {
      const other = v.entries.get(signer);
      if (other && e.fields.timestamp > other.fields.timestamp) n++;
    }
    return n;
  }

  private supersedes(w: Version, v: Version): boolean {
    return w !== v && this.saysAfter(w, v) > this.policy.f;
  }

  /** Every version of `fpr`, and the newest accepted one (see the file comment). */
  private view(fpr: Buffer): { accepted?: Version; all: Version[] } {
    const all = this.versions(fpr);
    const accepted = all.filter((v) => v.entries.size >= this.policy.k);
    // (none is left standing only with more than f faulty members: then quorum time alone decides)
    const standing = accepted.filter((v) => !accepted.some((w) => this.supersedes(w, v)));
    // the later quorum time, then (for one answer on every node) the lower key hash and digest
    const later = (v: Version, than: Version) => quorumTime(v, this.policy.k) - quorumTime(than, this.policy.k) || Buffer.compare(than.id, v.id);
    let best: Version | undefined;
    for (const v of standing.length ? standing : accepted) if (!best || later(v, best) > 0) best = v;
    return { accepted: best, all };
  }

  private describe(v: Version): KeyVersion {
    const entries = this.policy.members.map((m) => v.entries.get(m.key.toString('hex'))).filter((e) => e !== undefined);
    return {
      fingerprint: v.fields.fingerprint,
      keyHash: v.fields.keyHash,
      packetsSha256: v.fields.packetsSha256,
      members: entries.map((e) => this.policy.member(e.fields.signer)!.name),
      attestations: entries.map((e) => e.att),
      timestamps: entries.map((e) => e.fields.timestamp),
      quorumTime: entries.length >= this.policy.k ? quorumTime(v, this.policy.k) : undefined,
    };
  }

  /** The newest accepted version of `fpr` (k distinct members attested it), if any. */
  accepted(fpr: Buffer): KeyVersion | undefined {
    const { accepted } = this.view(fpr);
    return accepted && this.describe(accepted);
  }

  /**
   * Versions of `fpr` short of quorum that the accepted version does not supersede, newest
   * attestation first: what operators see as waiting for the quorum.
   */
  pending(fpr: Buffer): KeyVersion[] {
    return this.versionsOf(fpr).pending;
  }

  /** `accepted` and `pending` from one reading of the votes. */
  versionsOf(fpr: Buffer): { accepted?: KeyVersion; pending: KeyVersion[] } {
    const { accepted, all } = this.view(fpr);
    const pending = all
      .filter((v) => v.entries.size < this.policy.k && !(accepted && this.supersedes(accepted, v)))
      .map((v) => this.describe(v))
      .sort((a, b) => Math.max(...b.timestamps) - Math.max(...a.timestamps));
    return { accepted: accepted && this.describe(accepted), pending };
  }

  private *evidenceIn(prefix: Buffer): Generator<Evidence> {
    for (const { key, value } of this.db.getRange(prefixRange(prefix))) {
      const fpr = key.subarray(2, 2 + key[1]);
      const signer = key.subarray(2 + key[1], 2 + key[1] + 32);
      // both statements name the same fingerprint, so the two halves have the same length
      const a = decodeAttestation(value.subarray(0, value.length / 2));
      const b = decodeAttestation(value.subarray(value.length / 2));
      yield { signer: Buffer.from(signer), member: this.policy.member(signer)?.name, fingerprint: Buffer.from(fpr), attestations: [a, b] };
    }
  }

  /** Every pair of conflicting statements kept as evidence. */
  evidence(): Evidence[] {
    return [...this.evidenceIn(Buffer.from([EVIDENCE]))];
  }

  /** Attestations dropped since the store was created, by reason. */
  dropped(): Record<DropReason, number> {
    const out = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;
    for (const r of DROP_REASONS) {
      const v = this.db.get(Buffer.concat([Buffer.from([DROPPED]), Buffer.from(r)]));
      if (v) out[r] = Number(v.readBigUInt64BE());
    }
    return out;
  }
}
