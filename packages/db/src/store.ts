/**
 * The key store: keys by primary fingerprint in LMDB, their lookup indexes, the SKS hash set
 * and a change log, all in one LMDB environment (docs/architecture.md §3).
 *
 * There is one write path, {@link KeyStore.ingest}: parse, normalise, merge with the stored
 * version, verify self-signatures, hash, and write the key with every index entry and a change-log
 * entry in one LMDB transaction. Hooks (the recon prefix tree, quorum attestations) run inside that
 * same transaction, so nothing derived from the keys can drift from them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database, open, RootDatabase } from 'lmdb';
import {
  DEFAULT_KEY_LIMITS,
  DEFAULT_PACKET_LIMITS,
  flattenKey,
  KeyLimits,
  mergeKeys,
  Packet,
  joinPackets,
  PacketLimits,
  packetCount,
  parseKey,
  PublicKey,
  ReconPolicyName,
  samePacket,
  sksKeyHash,
  splitPackets,
} from '@dkeyserv/pgp';
import { describeKey, isRejection, PreparedKey, prepareKey, PrepareOptions, Rejection, rejection } from './prepare';
import { StoreOpenError, StoredFormatError } from './errors';
import { IndexEntry, indexEntriesOf, keyRef, STORED_INDEXES, StoredIndex } from './index-layout';
import { keyIdOfFingerprint, keyIdPrefix, parseKeyIdEntry } from './keyid-index';
import { Logger, silentLogger } from './logger';
import { decodeLogEntry, encodeLogEntry } from './log-codec';
import { ChangeLogEntry, KeyRecord, StoredView } from './record';
import { otherProcessesOpen, removeStaleRepack, repackEnvironment } from './repack';
import { syncFile } from './sync-file';
import { decodeRecord, encodeRecord } from './record-codec';
import { IndexName, keyTerms, KeyTerms } from './terms';
import { checkReason, decodeTakedown, encodeTakedown, Takedown, takedownMessage, TakedownSource } from './takedown';

export const SCHEMA_VERSION = 3;

/** How one recon policy's view of a key changed: its old and new hash (absent: no version in that policy). */
export interface ViewChange {
  policy: ReconPolicyName;
  oldHash?: Buffer;
  newHash?: Buffer;
}

/** A change of one key, as the hooks see it (inside the write transaction). */
export interface KeyChange {
  fpr: Buffer;
  /** SKS hash of the whole stored key, before and after */
  oldHash?: Buffer;
  newHash: Buffer;
  /** per kept recon policy */
  views: ViewChange[];
  /** the stored key, parsed on first access */
  readonly key: PublicKey;
  record: KeyRecord;
  /** the version this change replaced, if any */
  oldRecord?: KeyRecord;
}

/** A key removed by a takedown (docs/operations.md §14), as the hooks see it: each view's old hash, no new one. */
export interface KeyRemoval {
  fpr: Buffer;
  oldHash: Buffer;
  views: ViewChange[];
  oldRecord: KeyRecord;
}

/** Work other packages do inside the write transaction (docs/architecture.md §2, §4: db defines, others implement). */
export interface KeyStoreHooks {
  onKeyChanged?(change: KeyChange): void;
  onKeyRemoved?(removal: KeyRemoval): void;
}

/** What `takeDown` did to one fingerprint. */
export interface TakedownResult {
  /** lowercase hex */
  fpr: string;
  /** removed: the stored key went; blocked: none was stored, now none can be; already: it was taken down before */
  status: 'removed' | 'blocked' | 'already';
}

/** What `undoTakedown` did to one fingerprint. */
export interface UndoResult {
  fpr: string;
  /** restored: the removed key is stored again; unblocked: nothing to restore, the block is lifted; not-taken-down: nothing to undo */
  status: 'restored' | 'unblocked' | 'not-taken-down';
  /** restored: how the write went (a key the limits now refuse stays out, the block lifted) */
  result?: IngestResult;
}

export interface KeyStoreOptions {
  /** data directory (created if missing) */
  path: string;
  /**
   * The recon policies whose views are kept (docs/recon-policies.md), each with its own hash
   * index; fixed when the store is created (default: `sks`).
   */
  policies?: readonly ReconPolicyName[];
  limits?: KeyLimits;
  packetLimits?: PacketLimits;
  logger?: Logger;
  hooks?: KeyStoreHooks;
  readOnly?: boolean;
  /** clock, ms since the epoch (injected for tests) */
  now?: () => number;
  /**
   * Bulk load (imports): commits skip fsync and close() syncs once. A killed process loses
   * nothing committed (the pages are in the OS cache and LMDB stays consistent); a power failure
   * during the load may lose recent commits, and re-running the import restores them.
   * A bulk load that at least doubled the store repacks it on close (repack.ts).
   */
  bulkLoad?: boolean;
}

export type IngestStatus = 'new' | 'updated' | 'unchanged' | 'rejected';

export interface IngestResult {
  status: IngestStatus;
  /** primary fingerprint, lowercase hex */
  fpr?: string;
  /** SKS hash of the whole stored version, lowercase hex */
  hash?: string;
  /** SKS hash of the replaced version, for `updated` */
  oldHash?: string;
  /** short rejection reason, e.g. `secret-key`, `key-too-large` */
  reason?: string;
  /** one-line explanation of a rejection */
  message?: string;
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/**
 * A second handle on a duplicate-value index, only for `doesExist(term, value)`: lmdb-js (3.5)
 * seeks a value within a key only through the database's encoder, which a binary database lacks;
 * an identity encoder, on a handle nothing else reads or writes through, gives it one.
 */
function termProbe(env: RootDatabase, name: 'email' | 'word'): Database<Buffer, Buffer> {
  const db = env.openDB<Buffer, Buffer>({ name: `idx-${name}`, keyEncoding: 'binary', encoding: 'binary', dupSort: true });
  if (db) (db as unknown as { encoder: { encode(v: Buffer): Buffer } }).encoder = { encode: (v) => v };
  return db;
}

function hex(b: Buffer): string {
  return b.toString('hex');
}

/** Prepared keys that crossed a worker boundary arrive with Uint8Arrays; make them Buffers again. */
function revive(p: PreparedKey): PreparedKey {
  const terms: KeyTerms = {
    keyIds: p.terms.keyIds.map((t) => ({ keyId: toBuffer(t.keyId), fpr: toBuffer(t.fpr) })),
    email: p.terms.email.map(toBuffer),
    word: p.terms.word.map(toBuffer),
  };
  const views: PreparedKey['views'] = {};
  for (const [name, v] of Object.entries(p.views)) views[name as ReconPolicyName] = v.hash ? { ...v, hash: toBuffer(v.hash) } : v;
  return { ...p, fpr: toBuffer(p.fpr), hash: toBuffer(p.hash), packets: toBuffer(p.packets), terms, views };
}

/** A policy's view of a stored record: its hash, or why the policy holds no version of the key. */
export function viewOf(record: KeyRecord, policy: ReconPolicyName): { hash: Buffer } | { reason: string; message: string } {
  const v: StoredView | undefined = record.views?.[policy];
  if (!v) return { hash: toBuffer(record.hash) };
  if (v.hash) return { hash: toBuffer(v.hash) };
  return { reason: v.reason ?? 'excluded', message: v.message ?? `policy ${policy} holds no version of this key` };
}

function viewHash(record: KeyRecord, policy: ReconPolicyName): Buffer | undefined {
  const v = viewOf(record, policy);
  return 'hash' in v ? v.hash : undefined;
}

/** The hashes a taken-down key had: the whole key's and each kept policy view's (none if it was not stored). */
function takedownHashesOf(t: Takedown, policies: readonly ReconPolicyName[]): Buffer[] {
  if (!t.record) return [];
  const out = [toBuffer(t.record.hash)];
  for (const p of policies) {
    const h = viewHash(t.record, p);
    if (h && !out.some((x) => x.equals(h))) out.push(h);
  }
  return out;
}

/**
 * A store's contents as a consistency checker reads them (`fsck`, docs/operations.md §9): the
 * records as filed, every hash-index entry and every lookup-index entry, besides the lookups any
 * reader has. Read-only: nothing here writes, and nothing hands out the LMDB databases.
 * {@link KeyStore} implements it.
 */
export interface KeyStoreContents {
  /** the recon policies whose views (and hash indexes) the store keeps */
  readonly policies: readonly ReconPolicyName[];
  /**
   * Every stored record with the fingerprint it is filed under, in fingerprint order (in a damaged
   * store the record's key may not be that fingerprint, or its bytes may not decode: that is for
   * the checker to find).
   */
  storedRecords(): Iterable<{ fpr: Buffer; record: KeyRecord } | { fpr: Buffer; error: StoredFormatError }>;
  /** The record filed under this fingerprint. */
  get(fpr: Buffer): KeyRecord | undefined;
  /** Every entry of a policy's hash index (view hash → key reference, resolved to its fingerprint), by ascending hash. */
  hashIndexEntries(policy: ReconPolicyName): Iterable<{ hash: Buffer; fpr: Buffer }>;
  /** The fingerprint a policy's hash index files this hash under. */
  hashIndexOwner(policy: ReconPolicyName, hash: Buffer): Buffer | undefined;
  /** Every entry of a stored lookup index as stored (index-layout.ts), in key order. */
  indexEntries(index: StoredIndex): Iterable<IndexEntry>;
  /** Whether a stored lookup index holds this entry. */
  hasIndexEntry(index: StoredIndex, entry: IndexEntry): boolean;
  /** A stored record parsed back into a key (throws on packets that do not parse). */
  parseRecord(record: KeyRecord): PublicKey;
  /** Every takedown tombstone (takedown.ts), in fingerprint order. */
  takedowns(): Iterable<Takedown>;
  /** Every entry of the taken-down hashes (hash → fingerprint), by ascending hash. */
  takedownHashEntries(): Iterable<{ hash: Buffer; fpr: Buffer }>;
}

export class KeyStore implements KeyStoreContents {
  readonly policies: readonly ReconPolicyName[];
  private readonly env: RootDatabase;
  /** primary fingerprint → KeyRecord (record-codec.ts) */
  private readonly keys: Database<Buffer, Buffer>;
  /** per kept policy: view hash → primary fingerprint */
  private readonly hashIndexes: ReadonlyMap<ReconPolicyName, Database<Buffer, Buffer>>;
  private readonly indexes: Record<StoredIndex, Database<Buffer, Buffer>>;
  /** the e-mail and word indexes again, only for {@link isFiledUnder}'s probes (see termProbe) */
  private readonly probes: Record<'email' | 'word', Database<Buffer, Buffer>>;
  /** sequence number → ChangeLogEntry (log-codec.ts) */
  private readonly log: Database<Buffer, number>;
  /** takedowns (takedown.ts): primary fingerprint → tombstone; every hash the key had → fingerprint (absent in an old read-only store) */
  private readonly takedownDb?: Database<Buffer, Buffer>;
  private readonly takedownHashes?: Database<Buffer, Buffer>;
  private readonly meta: Database<unknown, string>;
  private readonly limits: KeyLimits;
  private readonly packetLimits: PacketLimits;
  private readonly logger: Logger;
  private readonly hooks: KeyStoreHooks[];
  private readonly now: () => number;
  private readonly path: string;
  private readonly bulkLoad: boolean;
  /** keys stored when opened, and new keys written since (a bulk load repacks if it doubled the store) */
  private readonly countAtOpen: number;
  private added = 0;

  private constructor(opts: KeyStoreOptions) {
    this.limits = opts.limits ?? DEFAULT_KEY_LIMITS;
    this.packetLimits = opts.packetLimits ?? DEFAULT_PACKET_LIMITS;
    this.logger = opts.logger ?? silentLogger;
    this.hooks = opts.hooks ? [opts.hooks] : [];
    this.now = opts.now ?? Date.now;
    this.path = opts.path;
    this.bulkLoad = (opts.bulkLoad ?? false) && !opts.readOnly;
    if (!opts.readOnly) mkdirSync(opts.path, { recursive: true, mode: 0o700 });
    try {
      this.env = open({ path: opts.path, maxDbs: 32, readOnly: opts.readOnly, compression: false, noSync: opts.bulkLoad ?? false });
    } catch (e) {
      throw new StoreOpenError(`cannot open the key store at ${opts.path}: ${(e as Error).message}`);
    }
    if (!opts.readOnly) removeStaleRepack(opts.path);
    this.keys = this.env.openDB<Buffer, Buffer>({ name: 'keys', keyEncoding: 'binary', encoding: 'binary' });
    const idx = {} as Record<StoredIndex, Database<Buffer, Buffer>>;
    for (const name of STORED_INDEXES) {
      idx[name] = this.env.openDB<Buffer, Buffer>({ name: `idx-${name}`, keyEncoding: 'binary', encoding: 'binary', dupSort: name !== 'keyid' });
    }
    this.indexes = idx;
    this.probes = { email: termProbe(this.env, 'email'), word: termProbe(this.env, 'word') };
    this.log = this.env.openDB<Buffer, number>({ name: 'log', keyEncoding: 'uint32', encoding: 'binary' });
    this.meta = this.env.openDB<unknown, string>({ name: 'meta' });
    this.takedownDb = this.env.openDB<Buffer, Buffer>({ name: 'takedown', keyEncoding: 'binary', encoding: 'binary' }) ?? undefined;
    this.takedownHashes = this.env.openDB<Buffer, Buffer>({ name: 'takedown-hash', keyEncoding: 'binary', encoding: 'binary' }) ?? undefined;
    this.policies = this.checkMeta(opts);
    this.hashIndexes = new Map(this.policies.map((name) => [name, this.env.openDB<Buffer, Buffer>({ name: `hash:${name}`, keyEncoding: 'binary', encoding: 'binary' })]));
    if (opts.readOnly && [this.keys, this.log, this.meta, ...this.hashIndexes.values(), ...Object.values(this.indexes)].some((db) => db === undefined)) {
      // an import killed while creating the store leaves an environment without all its databases
      throw new StoreOpenError(`no key store here yet at ${opts.path}: it was never completely created`);
    }
    this.countAtOpen = this.keys?.getCount() ?? 0;
  }

  /** Open (or create) the store in `opts.path`. */
  static open(opts: KeyStoreOptions): KeyStore {
    return new KeyStore(opts);
  }

  /**
   * The schema check, and the recon policies: a new store keeps those asked for (default `sks`);
   * an existing one those it was created with, and asking for others is an error.
   */
  private checkMeta(opts: KeyStoreOptions): ReconPolicyName[] {
    const schema = this.meta?.get('schema');
    const asked = opts.policies?.length ? [...new Set(opts.policies)] : undefined;
    if (schema === undefined) {
      const policies = asked ?? ['sks'];
      if (!opts.readOnly) {
        this.env.transactionSync(() => {
          this.meta.putSync('schema', SCHEMA_VERSION);
          this.meta.putSync('policies', policies);
        });
      }
      return policies;
    }
    if (schema !== SCHEMA_VERSION) {
      throw new StoreOpenError(`key store schema ${String(schema)} is not supported (expected ${SCHEMA_VERSION}): dump it with the dkeyserv that wrote it and import the dump into a new data directory`);
    }
    const kept = (this.meta.get('policies') as ReconPolicyName[] | undefined) ?? [];
    if (asked && (asked.length !== kept.length || asked.some((p) => !kept.includes(p)))) {
      throw new StoreOpenError(
        `this key store keeps recon policies ${kept.join(', ')}, not ${asked.join(', ')}: configure those, or dump it and import the dump into a new data directory that keeps the new ones`,
      );
    }
    return asked ?? kept;
  }

  /**
   * Add hooks after opening (a package whose hooks keep data in this store's environment, such as
   * the recon prefix tree, can only create it once the store is open).
   */
  addHooks(hooks: KeyStoreHooks): void {
    this.hooks.push(hooks);
  }

  /** Options for prepareKey / PreparePool that match this store. */
  get prepareOptions(): PrepareOptions {
    return { policies: this.policies, limits: this.limits, packetLimits: this.packetLimits };
  }

  /** Store one key (merged with any stored version). */
  ingest(packets: readonly Packet[]): IngestResult {
    return this.ingestMany([packets])[0];
  }

  /**
   * Store several keys in one transaction (import batches). Each result says what happened to
   * its key; a rejected key does not stop the others.
   */
  ingestMany(list: readonly (readonly Packet[])[]): IngestResult[] {
    return this.commit(list.map((packets) => prepareKey(packets, this.prepareOptions)));
  }

  /**
   * Write prepared keys (from prepareKey, or a PreparePool with this store's prepareOptions) in
   * one transaction: each is merged with its stored version and written with its indexes and a
   * change-log entry, or reported unchanged or rejected.
   */
  commit(prepared: readonly (PreparedKey | Rejection)[]): IngestResult[] {
    return this.env.transactionSync(() =>
      prepared.map((p) => {
        let r: IngestResult;
        if (isRejection(p)) r = p;
        else {
          try {
            r = this.write(revive(p));
          } catch (e) {
            r = rejection(e);
          }
        }
        if (r.status === 'rejected') this.logger.debug('key rejected', { reason: r.reason, fpr: r.fpr, message: r.message });
        return r;
      }),
    );
  }

  /** Inside the write transaction: merge with the stored version and write what changed (a taken-down key: refused). */
  private write(incoming: PreparedKey, firstSeen?: number): IngestResult {
    const fpr = incoming.fpr;
    const fprHex = hex(fpr);
    const down = this.takedown(fpr);
    if (down) return { status: 'rejected', fpr: fprHex, reason: 'blocked', message: takedownMessage(down) };
    const stored = this.get(fpr);
    let next = incoming;
    let oldTerms: KeyTerms | undefined;
    if (stored) {
      const storedHash = toBuffer(stored.hash);
      if (storedHash.equals(incoming.hash)) return { status: 'unchanged', fpr: fprHex, hash: hex(storedHash) };
      const oldKey = this.parseRecord(stored);
      const newKey = parseKey(splitPackets(incoming.packets, this.packetLimits));
      if (!samePacket(oldKey.primary, newKey.primary)) {
        return { status: 'rejected', fpr: fprHex, reason: 'fingerprint-collision', message: 'a different primary-key packet is stored under this fingerprint' };
      }
      const merged = mergeKeys(oldKey, newKey);
      if (sksKeyHash(merged).equals(storedHash)) return { status: 'unchanged', fpr: fprHex, hash: hex(storedHash) };
      const n = packetCount(merged);
      if (n > this.limits.maxPackets) {
        return { status: 'rejected', fpr: fprHex, reason: 'too-many-packets', message: `the merged key would have ${n} packets, over the limit of ${this.limits.maxPackets}` };
      }
      // prepared off the event loop as this very merge (prepare-merged.ts): nothing to verify again
      next = joinPackets(flattenKey(merged)).equals(incoming.packets) ? incoming : describeKey(merged, this.policies);
      if (next.packets.length > this.limits.maxKeyBytes) {
        return { status: 'rejected', fpr: fprHex, reason: 'key-too-large', message: `the merged key would have ${next.packets.length} bytes, over the limit of ${this.limits.maxKeyBytes}` };
      }
      oldTerms = keyTerms(oldKey, stored.validity);
    }
    const now = this.now();
    const record: KeyRecord = {
      fpr,
      version: next.version,
      hash: next.hash,
      packets: next.packets,
      created: next.created,
      firstSeen: stored ? stored.firstSeen : (firstSeen ?? now),
      modified: now,
      validity: next.validity,
    };
    if (Object.keys(next.views).length) record.views = next.views;
    const oldHash = stored ? toBuffer(stored.hash) : undefined;
    if (stored && oldTerms) this.putTerms(oldTerms, fpr, false);
    const views: ViewChange[] = [];
    for (const [policy, index] of this.hashIndexes) {
      const oldView = stored ? viewHash(stored, policy) : undefined;
      const newView = viewHash(record, policy);
      if (oldView) index.removeSync(oldView);
      if (newView) index.putSync(newView, keyRef(fpr));
      views.push({ policy, oldHash: oldView, newHash: newView });
    }
    this.keys.putSync(fpr, encodeRecord(record));
    this.putTerms(next.terms, fpr, true);
    this.appendLog({ time: now, fpr, updated: stored !== undefined });
    if (!stored) this.added++;
    if (this.hooks.length) {
      // the parsed key only when a hook asks for it (the prefix tree needs just the hashes)
      let parsed: PublicKey | undefined;
      const parse = () => (parsed ??= this.parseRecord(record));
      const change: KeyChange = {
        fpr,
        oldHash,
        newHash: next.hash,
        views,
        record,
        oldRecord: stored ?? undefined,
        get key() {
          return parse();
        },
      };
      for (const h of this.hooks) h.onKeyChanged?.(change);
    }
    return { status: stored ? 'updated' : 'new', fpr: fprHex, hash: hex(next.hash), oldHash: oldHash ? hex(oldHash) : undefined };
  }

  /**
   * Take keys down (docs/operations.md §14), in one transaction: each stored one is removed with
   * its index entries, hashes and prefix-tree elements (the hooks), and every fingerprint gets a
   * tombstone keeping the removed version, so the write path refuses it from now on and
   * {@link undoTakedown} can restore it. A change-log entry per removed key moves the change
   * sequence, so response caches of running servers drop it.
   */
  takeDown(fprs: readonly Buffer[], reason: string, source: TakedownSource = 'operator'): TakedownResult[] {
    const why = checkReason(reason);
    return this.env.transactionSync(() =>
      fprs.map((fpr) => {
        const fprHex = hex(fpr);
        if (this.takedown(fpr)) return { fpr: fprHex, status: 'already' };
        const stored = this.get(fpr);
        const now = this.now();
        if (stored) this.remove(stored, now);
        const t: Takedown = { fpr, reason: why, time: now, source, record: stored };
        this.takedownDb!.putSync(fpr, encodeTakedown(t));
        for (const h of takedownHashesOf(t, this.policies)) this.takedownHashes!.putSync(h, fpr);
        this.logger.info(`key ${fprHex} taken down (${source}): ${why}`);
        return { fpr: fprHex, status: stored ? 'removed' : 'blocked' };
      }),
    );
  }

  /** Undo takedowns: lift each block and store the removed version again (through the write path). */
  undoTakedown(fprs: readonly Buffer[]): UndoResult[] {
    return this.env.transactionSync(() =>
      fprs.map((fpr): UndoResult => {
        const fprHex = hex(fpr);
        const t = this.takedown(fpr);
        if (!t) return { fpr: fprHex, status: 'not-taken-down' };
        for (const h of takedownHashesOf(t, this.policies)) this.takedownHashes!.removeSync(h);
        this.takedownDb!.removeSync(fpr);
        this.logger.info(`takedown of key ${fprHex} undone`);
        if (!t.record) return { fpr: fprHex, status: 'unblocked' };
        const p = prepareKey(splitPackets(toBuffer(t.record.packets), this.packetLimits), this.prepareOptions);
        let result: IngestResult;
        try {
          result = isRejection(p) ? p : this.write(revive(p), t.record.firstSeen);
        } catch (e) {
          result = rejection(e);
        }
        return { fpr: fprHex, status: 'restored', result };
      }),
    );
  }

  /**
   * Make the config's block list (`[policy] blocked`, source `config`) what is taken down: each
   * listed fingerprint not yet down is taken down, and (with `lift`, the default) each config
   * takedown no longer listed is undone. Operator takedowns are left alone. Returns how many of each.
   */
  applyBlockList(list: readonly { fpr: Buffer; reason: string }[], lift = true): { added: number; lifted: number } {
    return this.env.transactionSync(() => {
      const listed = new Set(list.map((e) => hex(e.fpr)));
      const unlisted = lift ? [...this.takedowns()].filter((t) => t.source === 'config' && !listed.has(hex(t.fpr))).map((t) => t.fpr) : [];
      const lifted = this.undoTakedown(unlisted).length;
      let added = 0;
      for (const e of list) if (this.takeDown([e.fpr], e.reason, 'config')[0].status !== 'already') added++;
      return { added, lifted };
    });
  }

  /** The tombstone of a taken-down fingerprint. */
  takedown(fpr: Buffer): Takedown | undefined {
    const v = this.takedownDb?.get(fpr);
    return v && decodeTakedown(Buffer.from(fpr), v);
  }

  /** The tombstone of the key that had this hash (whole key or a policy view) when it was taken down. */
  takedownByHash(hash: Buffer): Takedown | undefined {
    const fpr = this.takedownHashes?.get(hash);
    return fpr ? this.takedown(toBuffer(fpr)) : undefined;
  }

  /** Every tombstone, in fingerprint order. */
  *takedowns(): Generator<Takedown> {
    if (!this.takedownDb) return;
    for (const { key, value } of this.takedownDb.getRange()) yield decodeTakedown(Buffer.from(key as Buffer), value);
  }

  /** Number of taken-down fingerprints. */
  takedownCount(): number {
    return this.takedownDb?.getCount() ?? 0;
  }

  *takedownHashEntries(): Generator<{ hash: Buffer; fpr: Buffer }> {
    if (!this.takedownHashes) return;
    for (const { key, value } of this.takedownHashes.getRange()) yield { hash: Buffer.from(key as Buffer), fpr: Buffer.from(value) };
  }

  /** Inside the write transaction: remove a stored key with its index entries and hashes, and tell the hooks. */
  private remove(stored: KeyRecord, now: number) {
    const fpr = toBuffer(stored.fpr);
    this.putTerms(keyTerms(this.parseRecord(stored), stored.validity), fpr, false);
    const views: ViewChange[] = [];
    for (const [policy, index] of this.hashIndexes) {
      const oldView = viewHash(stored, policy);
      if (oldView) index.removeSync(oldView);
      views.push({ policy, oldHash: oldView });
    }
    this.keys.removeSync(fpr);
    this.appendLog({ time: now, fpr, updated: true, removed: true });
    const removal: KeyRemoval = { fpr, oldHash: toBuffer(stored.hash), views, oldRecord: stored };
    for (const h of this.hooks) h.onKeyRemoved?.(removal);
  }

  private putTerms(terms: KeyTerms, fpr: Buffer, add: boolean) {
    const entries = indexEntriesOf(terms, fpr);
    for (const name of STORED_INDEXES) {
      const db = this.indexes[name];
      for (const e of entries[name]) {
        if (add) db.putSync(e.key, e.value);
        else if (name === 'keyid') db.removeSync(e.key);
        else db.removeSync(e.key, e.value);
      }
    }
  }

  private appendLog(entry: ChangeLogEntry) {
    const seq = ((this.meta.get('logSeq') as number | undefined) ?? 0) + 1;
    this.meta.putSync('logSeq', seq);
    this.log.putSync(seq, encodeLogEntry(entry));
  }

  /** Parse a stored record back into a key (stored bytes are already normalised). */
  parseRecord(record: KeyRecord): PublicKey {
    return parseKey(splitPackets(toBuffer(record.packets), this.packetLimits));
  }

  /** The stored key with this primary fingerprint (throws StoredFormatError if its bytes are damaged). */
  get(fpr: Buffer): KeyRecord | undefined {
    const value = this.keys.get(fpr);
    return value && decodeRecord(Buffer.from(fpr), value);
  }

  /**
   * The stored key one of whose policy views hashes to `hash` (any kept policy, or the one given),
   * with that policy: its view is the form of the key whose hash this is.
   */
  getByHash(hash: Buffer, policy?: ReconPolicyName): { record: KeyRecord; policy: ReconPolicyName } | undefined {
    for (const name of this.hashIndexes.keys()) {
      if (policy && name !== policy) continue;
      const record = this.hashOwner(name, hash);
      if (record) return { record, policy: name };
    }
    return undefined;
  }

  /** The stored key a policy's hash index files `hash` under, if its view has that hash. */
  private hashOwner(policy: ReconPolicyName, hash: Buffer): KeyRecord | undefined {
    const ref = this.hashIndex(policy).get(hash);
    if (!ref) return undefined;
    for (const fpr of this.keysByRef(toBuffer(ref))) {
      let record: KeyRecord | undefined;
      try {
        record = this.get(fpr);
      } catch (e) {
        if (e instanceof StoredFormatError) continue; // fsck reports it
        throw e;
      }
      if (record && viewHash(record, policy)?.equals(hash)) return record;
    }
    return undefined;
  }

  /** The stored primary fingerprints that begin with `ref` (a key reference, index-layout.ts). */
  private keysByRef(ref: Buffer): Buffer[] {
    const out: Buffer[] = [];
    for (const key of this.keys.getKeys({ start: ref })) {
      const k = key as Buffer;
      if (k.length < ref.length || !k.subarray(0, ref.length).equals(ref)) break;
      out.push(Buffer.from(k));
    }
    return out;
  }

  /** A policy's view of a stored key: its packets' bytes (the key in the form whose hash the policy holds). */
  viewPackets(record: KeyRecord, policy: ReconPolicyName): Buffer {
    const drop = record.views?.[policy]?.drop;
    if (!drop?.length) return toBuffer(record.packets);
    const out = new Set(drop);
    return joinPackets(splitPackets(toBuffer(record.packets), this.packetLimits).filter((_, i) => !out.has(i)));
  }

  /** Keys a policy holds no version of, with the reason (`dkeyserv hashes --policy` reports them). */
  *excluded(policy: ReconPolicyName): Generator<{ fpr: Buffer; reason: string; message: string }> {
    for (const record of this.records()) {
      const v = viewOf(record, policy);
      if ('reason' in v) yield { fpr: toBuffer(record.fpr), ...v };
    }
  }

  /**
   * Primary fingerprints filed under `term`: a fingerprint (of a primary key or subkey), a 64- or
   * 32-bit key ID, an e-mail address or a UID word. Each at most once; at most `limit` of them.
   */
  lookup(index: IndexName, term: Buffer, limit = Infinity): Buffer[] {
    const out: Buffer[] = [];
    if (limit <= 0) return out;
    for (const fpr of this.filedUnder(index, term)) if (out.push(fpr) >= limit) break;
    return out;
  }

  /**
   * {@link lookup} one fingerprint at a time, read from the index as it is consumed: a caller
   * that stops early reads no further index entries and no records (docs/hkp.md §3).
   */
  *filedUnder(index: IndexName, term: Buffer): Generator<Buffer> {
    const seen = new Set<string>();
    const fresh = (fpr: Buffer): boolean => {
      const k = hex(fpr);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    };
    if (index === 'email' || index === 'word') {
      for (const ref of this.indexes[index].getValues(term)) for (const fpr of this.keysByRef(toBuffer(ref))) if (fresh(fpr)) yield fpr;
      return;
    }
    if (index === 'fpr' && this.keys.doesExist(term) && fresh(term)) yield Buffer.from(term);
    const keyId = index === 'fpr' ? keyIdOfFingerprint(term) : term;
    if (!keyId || !(keyId.length === 8 || (keyId.length === 4 && index === 'kid32'))) return;
    const prefix = keyIdPrefix(keyId);
    for (const key of this.indexes.keyid.getKeys({ start: prefix })) {
      const k = key as Buffer;
      if (k.length < prefix.length || !k.subarray(0, prefix.length).equals(prefix)) break;
      const e = parseKeyIdEntry(k);
      if (index === 'fpr' && !e.subkey?.equals(term)) continue;
      if (fresh(e.primary)) yield e.primary;
    }
  }

  /** How many keys an e-mail or word term is filed under, counted in the index without reading it out. */
  termCount(index: 'email' | 'word', term: Buffer): number {
    return this.indexes[index].getValuesCount(term);
  }

  /** Whether the key with primary fingerprint `fpr` is filed under an e-mail or word term (one index probe). */
  isFiledUnder(index: 'email' | 'word', term: Buffer, fpr: Buffer): boolean {
    return this.probes[index].doesExist(term, keyRef(fpr));
  }

  /** Every hash a policy holds (default: the first kept policy), ascending. */
  *hashes(policy: ReconPolicyName = this.policies[0]): Generator<Buffer> {
    for (const k of this.hashIndex(policy).getKeys()) yield toBuffer(k as Buffer);
  }

  private hashIndex(policy: ReconPolicyName): Database<Buffer, Buffer> {
    const index = this.hashIndexes.get(policy);
    if (!index) throw new StoreOpenError(`this key store does not keep recon policy '${policy}' (it keeps ${this.policies.join(', ')})`);
    return index;
  }

  /** Number of keys a policy holds a version of. */
  hashCount(policy: ReconPolicyName): number {
    return this.hashIndexes.get(policy)?.getCount() ?? 0;
  }

  /** Every stored key in fingerprint order (throws StoredFormatError at a damaged one). */
  *records(): Generator<KeyRecord> {
    for (const { key, value } of this.keys.getRange()) yield decodeRecord(Buffer.from(key as Buffer), value);
  }

  *storedRecords(): Generator<{ fpr: Buffer; record: KeyRecord } | { fpr: Buffer; error: StoredFormatError }> {
    for (const { key, value } of this.keys.getRange()) {
      const fpr = Buffer.from(key as Buffer);
      try {
        yield { fpr, record: decodeRecord(fpr, value) };
      } catch (e) {
        if (!(e instanceof StoredFormatError)) throw e;
        yield { fpr, error: e };
      }
    }
  }

  *hashIndexEntries(policy: ReconPolicyName): Generator<{ hash: Buffer; fpr: Buffer }> {
    for (const { key, value } of this.hashIndex(policy).getRange()) {
      const hash = Buffer.from(key as Buffer);
      yield { hash, fpr: this.hashIndexOwner(policy, hash) ?? Buffer.from(value) };
    }
  }

  /** The key a hash-index entry refers to: the one whose view has that hash, else the first key the reference names. */
  hashIndexOwner(policy: ReconPolicyName, hash: Buffer): Buffer | undefined {
    const ref = this.hashIndex(policy).get(hash);
    if (!ref) return undefined;
    return this.hashOwner(policy, hash)?.fpr ?? this.keysByRef(toBuffer(ref))[0];
  }

  *indexEntries(index: StoredIndex): Generator<IndexEntry> {
    for (const { key, value } of this.indexes[index].getRange()) yield { key: Buffer.from(key as Buffer), value: Buffer.from(value) };
  }

  hasIndexEntry(index: StoredIndex, entry: IndexEntry): boolean {
    const db = this.indexes[index];
    if (index === 'keyid') return db.get(entry.key)?.equals(entry.value) ?? false;
    // (a scan of the term's values: lmdb's doesExist(key, value) fails on binary dupSort databases)
    for (const v of db.getValues(entry.key)) if (toBuffer(v).equals(entry.value)) return true;
    return false;
  }

  /** Number of stored keys. */
  count(): number {
    return this.keys.getCount();
  }

  /** Change-log entries after sequence number `since`. */
  *changes(since = 0): Generator<[number, ChangeLogEntry]> {
    for (const { key, value } of this.log.getRange({ start: since + 1 })) yield [key, decodeLogEntry(key, value)];
  }

  /**
   * Sequence number of the newest change: it moves on every stored change, so anything derived
   * from the store (an HTTP response cache) is fresh while it is unchanged.
   */
  changeSeq(): number {
    return (this.meta.get('logSeq') as number | undefined) ?? 0;
  }

  /** Change-log entries, newest first. */
  *recentChanges(): Generator<[number, ChangeLogEntry]> {
    for (const { key, value } of this.log.getRange({ reverse: true })) yield [key, decodeLogEntry(key, value)];
  }

  /**
   * A named binary database of another package in this store's LMDB environment (the recon
   * prefix tree, quorum attestations). Written from a hook, it joins the key's transaction, so it
   * can never disagree with the keys (docs/architecture.md §4).
   */
  openDatabase(name: string): Database<Buffer, Buffer> | undefined {
    // (a read-only store that never had this database answers undefined)
    return this.env.openDB<Buffer, Buffer>({ name: `ext-${name}`, keyEncoding: 'binary', encoding: 'binary' }) ?? undefined;
  }

  /**
   * A persisted mark (in `meta`, key `mark:NAME`) that data derived from the keys is out of date
   * and must be rebuilt before use, e.g. `ptree-stale`: a bulk import stopped keeping the recon
   * prefix trees (docs/architecture.md §4). Set and cleared inside the write transaction that
   * makes it true or false, so after a crash at any moment the mark says what the trees are.
   */
  hasMark(name: string): boolean {
    return this.meta.get(`mark:${name}`) === true;
  }

  /** Set or clear a mark (call inside {@link transaction} to join a write). */
  setMark(name: string, on: boolean): void {
    if (on) this.meta.putSync(`mark:${name}`, true);
    else this.meta.removeSync(`mark:${name}`);
  }

  /** Run `fn` in one write transaction of the environment (writers other than ingest: pbuild). */
  transaction<T>(fn: () => T): T {
    return this.env.transactionSync(fn);
  }

  async close(): Promise<void> {
    // (only a process alone on the environment may swap its file)
    const repack = this.bulkLoad && this.added > 0 && this.added >= this.countAtOpen && !otherProcessesOpen(this.env);
    await this.env.close();
    if (repack && (await this.repack())) return;
    if (this.bulkLoad) {
      // bulk load committed without fsync: make it durable now
      syncFile(join(this.path, 'data.mdb'));
    }
  }

  /** Repack the closed environment (its copy is synced); false if it was left as it is. */
  private async repack(): Promise<boolean> {
    try {
      const r = await repackEnvironment(this.path);
      if (r) this.logger.info(`repacked the key store in ${(r.ms / 1000).toFixed(2)} s: ${(r.before / 1e6).toFixed(1)} MB → ${(r.after / 1e6).toFixed(1)} MB`);
      return r !== undefined;
    } catch (e) {
      this.logger.warn(`could not repack the key store (it is kept as it is): ${(e as Error).message}`);
      removeStaleRepack(this.path);
      return false;
    }
  }
}
