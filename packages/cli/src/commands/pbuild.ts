/**
 * `dkeyserv pbuild`: rebuild the prefix tree of every recon policy the store keeps from its hash
 * index, in one transaction (docs/operations.md §9, docs/recon.md §5). Trees are written with the
 * keys, so this is needed only when `fsck` reports a tree problem or a store lacks a tree. It also
 * clears the stale mark a bulk import leaves if it is killed (docs/recon.md §5a), in the same
 * transaction.
 */
import { rebuildPrefixTrees } from '@dkeyserv/recon';
import { withStore } from '../store';
import { configFrom, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'pbuild', 'rebuild the recon prefix tree of every kept policy from the key store').action(async (opts: StoreFlags) => {
    await withStore(configFrom(opts).data, { mustExist: true, keepStaleTrees: true }, ({ store, trees }) => {
      for (const [policy, n] of rebuildPrefixTrees(store, trees)) process.stdout.write(`pbuild: ${policy} prefix tree rebuilt with ${n} elements\n`);
    });
  });
};
