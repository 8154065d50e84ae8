/**
 * `dkeyserv delete FPR... --reason TEXT` (docs/operations.md §14): take keys down. Each stored key
 * is removed with its indexes, hashes and prefix-tree elements, and a tombstone keeps the removed
 * version and the reason; from then on every write of the fingerprint (upload, recon, import,
 * quorum) is refused, lookups answer 410 with the reason, and recon never brings it back.
 * `--undo FPR...` restores the removed version (or, for a key that was never stored, lifts the
 * block); `--list` prints the takedowns.
 *
 * Safe while `serve` runs on the same data directory: LMDB takes writers from several processes
 * one at a time, the prefix trees are changed in the same transaction (the store's hooks), and the
 * change-log entry moves the change sequence, so the server's response cache drops the key.
 *
 * Exit codes: 0 done, 1 an undo found nothing to undo or could not restore, 2 a bad argument
 * (fingerprint, reason, options), each with one line on stderr.
 */
import { checkReason, KeyStore, parseFingerprint, TakedownError } from '@dkeyserv/db';
import { UsageError } from '../errors';
import { withStore } from '../store';
import { configFrom, Register, storeCommand, StoreFlags } from './options';

interface DeleteFlags extends StoreFlags {
  reason?: string;
  undo?: boolean;
  list?: boolean;
}

/** Most fingerprints one run takes (they are written in one transaction). */
const MAX_FINGERPRINTS = 10_000;

export const register: Register = (program) => {
  storeCommand(program, 'delete', 'take keys down: remove them, refuse them from now on (recon included) and answer 410 for them')
    .argument('[fingerprints...]', 'primary key fingerprints (hex, 32, 40 or 64 digits)')
    .option('-r, --reason <text>', 'why (one line; shown in answers about the key and in stats)')
    .option('--undo', 'undo takedowns: restore the removed keys, lift the blocks')
    .option('--list', 'list the takedowns')
    .action(async (args: string[], opts: DeleteFlags) => {
      const config = configFrom(opts);
      if (opts.list) {
        if (args.length || opts.undo || opts.reason !== undefined) throw new UsageError('delete --list takes no fingerprints, --undo or --reason');
        await withStore(config.data, { readOnly: true }, ({ store }) => process.stdout.write(listTakedowns(store)));
        return;
      }
      if (args.length === 0) throw new UsageError('delete: name at least one fingerprint');
      if (args.length > MAX_FINGERPRINTS) throw new UsageError(`delete: ${args.length} fingerprints, over the limit of ${MAX_FINGERPRINTS} per run`);
      if (opts.undo && opts.reason !== undefined) throw new UsageError('delete --undo takes no --reason');
      if (!opts.undo && opts.reason === undefined) throw new UsageError('delete: --reason TEXT is required (it is shown in answers about the key)');
      let fprs: Buffer[];
      let reason = '';
      try {
        fprs = args.map(parseFingerprint);
        if (!opts.undo) reason = checkReason(opts.reason!);
      } catch (e) {
        if (e instanceof TakedownError) throw new UsageError(`delete: ${e.message}`);
        throw e;
      }
      if (opts.undo) {
        // a config entry would be taken down again at the next start: undo it there
        const listed = fprs.find((f) => config.policy.blocked.some((b) => b.fpr.equals(f)));
        if (listed) throw new UsageError(`delete --undo: ${listed.toString('hex').toUpperCase()} is listed in [policy] blocked of the config: remove it there`);
      }
      await withStore(config.data, { mustExist: true, limits: config.limits, policies: config.recon.policies }, ({ store }) => {
        const lines: string[] = [];
        if (opts.undo) {
          for (const u of store.undoTakedown(fprs)) {
            const r = u.result;
            if (u.status === 'not-taken-down') process.exitCode = 1;
            if (r?.status === 'rejected') process.exitCode = 1;
            const what =
              u.status === 'not-taken-down' ? 'not taken down: nothing to undo'
              : u.status === 'unblocked' ? 'block lifted (no key was stored: recon or an upload may bring it)'
              : r?.status === 'rejected' ? `block lifted, but the removed key could not be stored again: ${r.message ?? r.reason}`
              : 'restored';
            lines.push(`${u.fpr.toUpperCase()}: ${what}`);
          }
        } else {
          for (const t of store.takeDown(fprs, reason)) {
            const what = t.status === 'removed' ? 'removed' : t.status === 'blocked' ? 'blocked (no key was stored)' : 'already taken down';
            lines.push(`${t.fpr.toUpperCase()}: ${what}`);
          }
        }
        process.stdout.write(lines.join('\n') + '\n');
      });
    });
};

/** One line per takedown: fingerprint, when, source, whether the removed key is kept, reason. */
function listTakedowns(store: KeyStore): string {
  const lines: string[] = [];
  for (const t of store.takedowns()) {
    lines.push(`${t.fpr.toString('hex').toUpperCase()} ${new Date(t.time).toISOString()} ${t.source}${t.record ? '' : ' (never stored)'}: ${t.reason}`);
  }
  return lines.length ? lines.join('\n') + '\n' : 'no takedowns\n';
}
