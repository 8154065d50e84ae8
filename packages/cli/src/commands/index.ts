/**
 * Every dkeyserv command, in the one table `main.ts` registers from, in the order
 * `dkeyserv --help` lists them (docs/operations.md §2). One file per command; each exports
 * `register(program, shared)`.
 */
import { register as db } from './db';
import { register as deleteKeys } from './delete';
import { register as dump } from './dump';
import { register as fsck } from './fsck';
import { register as hashes } from './hashes';
import { register as importKeys } from './import';
import { register as nodeId } from './node-id';
import { register as pbuild } from './pbuild';
import { register as recon } from './recon';
import { register as serve } from './serve';
import { register as verifyQuorum } from './verify-quorum';
import { Register } from './options';

export const COMMANDS: readonly Register[] = [importKeys, hashes, dump, fsck, pbuild, deleteKeys, nodeId, verifyQuorum, serve, db, recon];

export type { Register, Shared } from './options';
