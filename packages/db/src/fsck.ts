/**
 * Consistency check of a key store (docs/operations.md §9 `fsck`): every key parses, its
 * fingerprint and SKS hash are what the record says, each recon policy's view hashes to what the
 * record says and its hash index and every lookup index hold exactly the entries the keys imply;
 * no taken-down key is stored and every taken-down hash names a tombstone (docs/operations.md §14:
 * a removed key has no entries at all, so the checks above hold for a store with takedowns).
 * Used by `dkeyserv fsck` and by the crash tests. It reads the store only through the read-only
 * {@link KeyStoreContents}.
 */
import { keyIdentity, sksPacketsHash, splitPackets } from '@dkeyserv/pgp';
import { describeEntry, entryOwner, IndexEntry, indexEntriesOf, STORED_INDEXES, StoredIndex } from './index-layout';
import { KeyStoreContents, viewOf } from './store';
import { keyTerms } from './terms';

export interface FsckProblem {
  /** lowercase hex fingerprint or hash the problem concerns */
  subject: string;
  what: string;
}

export interface FsckReport {
  keys: number;
  hashes: number;
  indexEntries: number;
  /** takedown tombstones */
  takedowns: number;
  problems: FsckProblem[];
  /** problems found in all (the list keeps the first `maxListed`) */
  problemCount: number;
}

export function fsck(store: KeyStoreContents, maxListed = 100): FsckReport {
  const report: FsckReport = { keys: 0, hashes: 0, indexEntries: 0, takedowns: 0, problems: [], problemCount: 0 };
  const problem = (subject: string, what: string) => {
    report.problemCount++;
    if (report.problems.length < maxListed) report.problems.push({ subject, what });
  };
  const expected = new Set<string>();
  for (const stored of store.storedRecords()) {
    report.keys++;
    const { fpr } = stored;
    const fprHex = fpr.toString('hex');
    if ('error' in stored) {
      problem(fprHex, `stored record does not decode: ${stored.error.message}`);
      continue;
    }
    const { record } = stored;
    let parsed;
    try {
      parsed = store.parseRecord(record);
    } catch (e) {
      problem(fprHex, `stored packets do not parse: ${(e as Error).message}`);
      continue;
    }
    if (!keyIdentity(parsed.primary.body).fingerprint.equals(fpr)) problem(fprHex, 'stored under a fingerprint that is not its own');
    const packets = splitPackets(Buffer.from(record.packets));
    const hash = sksPacketsHash(packets);
    if (!hash.equals(Buffer.from(record.hash))) problem(fprHex, `record hash ${Buffer.from(record.hash).toString('hex')} but packets hash to ${hash.toString('hex')}`);
    for (const policy of store.policies) {
      const view = viewOf(record, policy);
      if (!('hash' in view)) continue;
      // a view that leaves nothing out is the whole key, hashed just above
      const drop = new Set(record.views?.[policy]?.drop);
      const viewHash = drop.size ? sksPacketsHash(packets.filter((_, i) => !drop.has(i))) : hash;
      if (!viewHash.equals(view.hash)) problem(fprHex, `${policy} view hash ${view.hash.toString('hex')} but its packets hash to ${viewHash.toString('hex')}`);
      const owner = store.hashIndexOwner(policy, view.hash);
      if (!owner || !owner.equals(fpr)) problem(fprHex, `${policy} hash ${view.hash.toString('hex')} is not indexed to this key`);
    }
    if (record.validity.uids.length !== parsed.uids.length || record.validity.subkeys.length !== parsed.subkeys.length) {
      problem(fprHex, 'stored validity does not match the key structure');
      continue;
    }
    const entries = indexEntriesOf(keyTerms(parsed, record.validity), fpr);
    for (const name of STORED_INDEXES) for (const e of entries[name]) expected.add(entryId(name, e));
  }
  for (const policy of store.policies) {
    for (const { hash: h, fpr } of store.hashIndexEntries(policy)) {
      report.hashes++;
      const hHex = h.toString('hex');
      let r;
      try {
        r = store.get(fpr);
      } catch {
        continue; // a record that does not decode is reported above
      }
      const view = r && viewOf(r, policy);
      if (!view) problem(hHex, `${policy} hash index points to missing key ${fpr.toString('hex')}`);
      else if (!('hash' in view) || !view.hash.equals(h)) problem(hHex, `${policy} hash index entry is stale: the key has another hash now`);
    }
  }
  let found = 0;
  for (const name of STORED_INDEXES) {
    for (const e of store.indexEntries(name)) {
      report.indexEntries++;
      if (expected.has(entryId(name, e))) found++;
      else problem(ownerHex(name, e), `stray ${describeEntry(name, e)}`);
    }
  }
  if (found !== expected.size) {
    let listed = 0;
    for (const id of expected) {
      const [name, key, value] = id.split(':') as [StoredIndex, string, string];
      const e = { key: Buffer.from(key, 'hex'), value: Buffer.from(value, 'hex') };
      if (!store.hasIndexEntry(name, e)) {
        problem(ownerHex(name, e), `missing ${describeEntry(name, e)}`);
        if (++listed >= maxListed) break;
      }
    }
  }
  checkTakedowns(store, report, problem);
  return report;
}

/** No taken-down key is stored; each taken-down hash belongs to its tombstone's removed version. */
function checkTakedowns(store: KeyStoreContents, report: FsckReport, problem: (subject: string, what: string) => void) {
  const down = new Map<string, Set<string>>();
  for (const t of store.takedowns()) {
    report.takedowns++;
    const fprHex = t.fpr.toString('hex');
    const hashes = new Set<string>();
    if (t.record) {
      hashes.add(Buffer.from(t.record.hash).toString('hex'));
      for (const policy of store.policies) {
        const v = viewOf(t.record, policy);
        if ('hash' in v) hashes.add(v.hash.toString('hex'));
      }
    }
    down.set(fprHex, hashes);
    let stored;
    try {
      stored = store.get(t.fpr);
    } catch {
      stored = true; // (a record that does not decode is reported above; it is still stored)
    }
    if (stored) problem(fprHex, 'taken down but still stored');
  }
  for (const { hash, fpr } of store.takedownHashEntries()) {
    if (!down.get(fpr.toString('hex'))?.has(hash.toString('hex'))) problem(hash.toString('hex'), `taken-down hash entry names ${fpr.toString('hex')}, whose tombstone does not have it`);
  }
}

function entryId(index: StoredIndex, e: IndexEntry): string {
  return `${index}:${e.key.toString('hex')}:${e.value.toString('hex')}`;
}

/** the primary fingerprint an index entry concerns, or the index's name if the entry is damaged */
function ownerHex(index: StoredIndex, e: IndexEntry): string {
  try {
    return entryOwner(index, e).toString('hex');
  } catch {
    return `idx-${index}`;
  }
}
