/**
 * The server family, one builder for three commands (docs/architecture.md §6): `serve` (HKP and
 * recon in one process), `db` (HKP only) and `recon` (recon only). They take the same options and
 * differ only in which servers they run (`../server.ts`); `serve.ts`, `db.ts` and `recon.ts`
 * each register one through `serverCommand`.
 */
import { InvalidArgumentError } from 'commander';
import { parseHostPort, parsePeer } from '../config';
import { CliError } from '../errors';
import { runServer, ServerParts } from '../server';
import { checkFreeSpace, watchFreeSpace } from '../disk-space';
import { requireStore } from '../store';
import { collect, configFrom, policiesOption, Register, storeCommand, StoreFlags } from './options';

interface ServerFlags extends StoreFlags {
  hkp?: string;
  recon?: string;
  peer: string[];
  membership?: string;
  gossipInterval?: number;
  workers?: number;
  init?: boolean;
}

/** The registration of a server command that runs `parts`. */
export function serverCommand(name: string, description: string, parts: ServerParts): Register {
  return (program, { version }) => {
    storeCommand(program, name, description)
      .option('--hkp <host:port>', 'HKP listen address (default 127.0.0.1:11371)')
      .option('--recon <host:port|none>', 'recon listen address, or none (default 127.0.0.1:11370)')
      .option('--peer <host:port[/policy]>', 'a recon partner, optionally pinned to one recon policy (repeatable)', collect, [] as string[])
      .addOption(policiesOption())
      .option('--membership <file>', 'an SKS membership file of recon partners (host port per line)')
      .option('--gossip-interval <seconds>', 'seconds between gossip rounds (0: never initiate)', nonNegativeInt)
      .option('--workers <n>', 'HKP worker processes (0: one per core, the default; 1: HKP in this process)', workerCount)
      .option('--init', 'create the data directory and an empty key store if there is none (otherwise a missing store is an error)')
      .action(async (opts: ServerFlags) => {
        const config = configFrom(opts);
        if (opts.hkp) config.hkp.listen = parseHostPort(opts.hkp, '--hkp');
        if (opts.recon) config.recon.listen = opts.recon === 'none' ? undefined : parseHostPort(opts.recon, '--recon');
        config.recon.peers.push(...opts.peer.map((p) => parsePeer(p, '--peer')));
        if (opts.membership) config.recon.membership = opts.membership;
        if (opts.gossipInterval !== undefined) config.recon.gossipInterval = opts.gossipInterval;
        if (opts.workers !== undefined) config.hkp.workers = opts.workers;
        if (parts.recon && !parts.hkp && !config.recon.listen) throw new CliError('recon: --recon none leaves nothing to run');
        if (!opts.init) requireStore(config.data, `start an empty one with '${name} --init', or run 'dkeyserv import --data ${config.data} FILE'`);
        checkFreeSpace(config.data, 'the server');
        // a disk that fills while serving stops the server with one line and exit code 1, before
        // LMDB's next write could fault (disk-space.ts)
        const unwatch = watchFreeSpace(config.data, (e) => {
          process.stderr.write(`dkeyserv: ${e.message}\n`);
          process.exitCode = e.exitCode;
          process.kill(process.pid, 'SIGTERM');
        });
        try {
          await runServer(config, version, parts);
        } finally {
          unwatch();
        }
      });
  };
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 86_400) throw new InvalidArgumentError('expected a whole number of seconds from 0 to 86400');
  return n;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 64) throw new InvalidArgumentError('expected a whole number of processes from 0 to 64');
  return n;
}
