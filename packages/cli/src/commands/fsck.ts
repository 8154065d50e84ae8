/**
 * `dkeyserv fsck`: every consistency check of a data directory in one place (docs/operations.md
 * §9), on a store opened read-only:
 *  - the key store itself (`fsck` of @dkeyserv/db: records, hashes, indexes);
 *  - each kept recon policy's prefix tree against that policy's hashes (`checkPrefixTree` of
 *    @dkeyserv/recon, docs/recon.md §5);
 *  - with a `[quorum]` config, the attestation tree against the attestation set (docs/quorum.md §7).
 * Prints one summary line and the problems; exit code 1 if there are any.
 *
 * A store whose trees are marked stale (a bulk import ran or was killed, docs/recon.md §5a) is
 * consistent by design: the mark is the truth, and every writable open rebuilds the trees before
 * using them. fsck then checks only the trees' own invariants, says they need a rebuild, and
 * passes.
 */
import { fsck, FsckReport, KeyStore } from '@dkeyserv/db';
import { ReconPolicyName } from '@dkeyserv/pgp';
import { AttestationStore, QuorumPolicy } from '@dkeyserv/quorum';
import { checkPrefixTree, PrefixTree, prefixTreesStale } from '@dkeyserv/recon';
import { withStore } from '../store';
import { configFrom, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'fsck', 'check that keys, hashes, indexes and the recon prefix tree agree; exit 1 if they do not').action(async (opts: StoreFlags) => {
    const config = configFrom(opts);
    await withStore(config.data, { readOnly: true }, ({ store, trees }) => {
      const stale = prefixTreesStale(store);
      const report = checkDataDirectory(store, trees, config.quorum, stale);
      process.stdout.write(formatFsck(report));
      if (stale) process.stdout.write(`fsck: prefix trees need a rebuild (run 'dkeyserv pbuild', or serve does it)\n`);
      if (report.problemCount > 0) process.exitCode = 1;
    });
  });
};

/** The store's own report with the prefix-tree and attestation-tree problems added. */
function checkDataDirectory(store: KeyStore, trees: Map<ReconPolicyName, PrefixTree>, quorum: QuorumPolicy | undefined, stale: boolean): FsckReport {
  const report = fsck(store);
  for (const policy of store.policies) {
    const tree = trees.get(policy);
    let treeProblems: string[];
    // stale: the tree is whatever the import left (each state committed whole), to be rebuilt
    if (stale) treeProblems = tree ? tree.check(() => {}) : [];
    else if (tree) treeProblems = checkPrefixTree(store, tree, policy);
    // an import killed after creating the store but before its first write leaves no tree
    // databases yet: with no hashes that is the empty tree (the next writer creates it)
    else treeProblems = store.hashCount(policy) === 0 ? [] : [`this store has no ${policy} prefix tree: run 'dkeyserv pbuild'`];
    report.problems.push(...treeProblems.map((what) => ({ subject: `${policy} prefix tree`, what })));
  }
  if (quorum) report.problems.push(...checkAttestationTree(store, quorum).map((what) => ({ subject: 'attestation tree', what })));
  report.problemCount = Math.max(report.problemCount, report.problems.length);
  return report;
}

/**
 * Quorum mode: the attestation tree's invariants hold and its elements are exactly the ids of the
 * current policy's attestation set. Writes nothing (the store is read-only).
 */
function checkAttestationTree(store: KeyStore, policy: QuorumPolicy): string[] {
  const db = store.openDatabase('attest-ptree');
  if (!db || !store.openDatabase('attest')) return []; // quorum mode never ran on this store
  const attestations = AttestationStore.open(store, policy);
  const expected = new Set([...attestations.ids()].map((id) => id.toString('hex')));
  const stray: string[] = [];
  let elements = 0;
  const problems = new PrefixTree(db).check((id) => {
    elements++;
    if (!expected.has(id.toString('hex')) && stray.length < 100) stray.push(`element ${id.toString('hex')} is in the attestation tree but no attestation of policy ${policy.name} v${policy.version} has that id`);
  });
  problems.push(...stray);
  if (elements !== expected.size) problems.push(`attestation tree holds ${elements} elements, the attestation set ${expected.size}`);
  return problems;
}

function formatFsck(r: FsckReport): string {
  const down = r.takedowns ? `, ${r.takedowns} takedowns` : '';
  const lines = [`fsck: ${r.keys} keys, ${r.hashes} hashes, ${r.indexEntries} index entries${down}: ${r.problemCount === 0 ? 'consistent' : `${r.problemCount} problems`}`];
  for (const p of r.problems) lines.push(`  ${p.subject}: ${p.what}`);
  if (r.problemCount > r.problems.length) lines.push(`  … and ${r.problemCount - r.problems.length} more`);
  return lines.join('\n') + '\n';
}
