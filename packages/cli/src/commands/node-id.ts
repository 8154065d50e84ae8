/**
 * `dkeyserv node-id`: this node's quorum attestation key (Ed25519, base64), created as
 * `DATA/node-key.pem` (0600) on first use (docs/quorum.md §3, docs/operations.md §7).
 */
import { IdentityError, loadOrCreateIdentity } from '@dkeyserv/quorum';
import { CliError } from '../errors';
import { configFrom, Register, storeCommand, StoreFlags } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'node-id', "print this node's quorum attestation key (base64), creating it on first use").action((opts: StoreFlags) => {
    process.stdout.write(nodeId(configFrom(opts).data) + '\n');
  });
};

function nodeId(dataDir: string): string {
  try {
    return loadOrCreateIdentity(dataDir).idText;
  } catch (e) {
    if (e instanceof IdentityError) throw new CliError(e.message);
    throw e;
  }
}
