#!/usr/bin/env node
/**
 * dkeyserv command line (DESIGN.md §3). Exit codes: 0 ok, 1 failure, 2 usage error.
 * Errors a user can cause print one line on stderr, never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { fsck } from '@dkeyserv/db';
import { checkPrefixTree, rebuildPrefixTree } from '@dkeyserv/recon';
import { CliError } from './errors';
import { formatSummary, importFiles } from './commands/import';
import { writeHashes } from './commands/hashes';
import { writeDump } from './commands/dump';
import { formatFsck } from './commands/fsck';
import { openStore } from './store';
import { checkAttestationTree } from './quorum-node';
import { Config, loadConfig, parseHostPort, parsePeer, parsePolicyName } from './config';
import { serve } from './commands/serve';
import { nodeId, verifyQuorum } from './commands/quorum';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

interface StoreFlags {
  data?: string;
  config?: string;
  /** --policy, repeatable: the recon policies of a new store (docs/recon-policies.md) */
  policy?: string[];
}

/** The config file's values with the command-line flags over them. */
function configFrom(opts: StoreFlags): Config {
  const config = loadConfig(opts.config);
  if (opts.data) config.data = opts.data;
  if (opts.policy?.length) config.recon.policies = opts.policy.map((p) => parsePolicyName(p, '--policy'));
  return config;
}

const collect = (v: string, list: string[]) => [...list, v];
const POLICY_HELP = 'a recon policy the store keeps: sks, hockeypuck, hockeypuck-2.4 (repeatable; a new store keeps sks and hockeypuck unless told)';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 86_400) throw new InvalidArgumentError('expected a whole number of seconds from 0 to 86400');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 10_000_000) throw new InvalidArgumentError('expected a whole number from 1 to 10000000');
  return n;
}

export function buildProgram(): Command {
  const program = new Command('dkeyserv')
    .description('OpenPGP keyserver: HKP, SKS reconciliation, SKS dumps, quorum attestations')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('import')
    .description('import SKS dump files (*.pgp), binary keyrings and armored key files, or directories of them')
    .argument('<files...>', 'files or directories')
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .option('--policy <name>', POLICY_HELP, collect, [] as string[])
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (files: string[], opts: StoreFlags & { progress: boolean }) => {
      const config = configFrom(opts);
      const { store } = openStore(config.data, { bulkLoad: true, limits: config.limits, quorum: config.quorum, policies: config.recon.policies });
      let failed = false;
      try {
        const summary = await importFiles(store, files, {
          progress: opts.progress && Boolean(process.stderr.isTTY),
          onError: (line) => {
            failed = true;
            process.stderr.write(`dkeyserv import: ${line}\n`);
          },
        });
        process.stdout.write(formatSummary(summary));
      } finally {
        await store.close();
      }
      if (failed) process.exitCode = 1;
    });

  program
    .command('hashes')
    .description("print every key hash of a recon policy (default: the store's first), lowercase hex, one per line; keys the policy holds no version of are named on stderr with the reason")
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .option('--policy <name>', 'the recon policy whose hashes to print')
    .action(async (opts: Omit<StoreFlags, 'policy'> & { policy?: string }) => {
      const { store } = openStore(configFrom({ data: opts.data, config: opts.config }).data, { readOnly: true });
      try {
        const policy = opts.policy === undefined ? store.policies[0] : parsePolicyName(opts.policy, '--policy');
        if (!store.policies.includes(policy)) throw new CliError(`this store does not keep recon policy ${policy} (it keeps ${store.policies.join(', ')})`);
        await writeHashes(store, policy, process.stdout, process.stderr);
      } finally {
        await store.close();
      }
    });

  program
    .command('dump')
    .description('write the store as an SKS dump: OUTDIR/sks-dump-NNNN.pgp and metadata-sks-dump.txt')
    .argument('<outdir>', 'output directory (created if missing)')
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .option('-n, --keys-per-file <n>', 'keys per dump file', positiveInt, 15000)
    .action(async (outdir: string, opts: StoreFlags & { keysPerFile: number }) => {
      const { store } = openStore(configFrom(opts).data, { readOnly: true });
      try {
        const r = writeDump(store, outdir, opts.keysPerFile);
        process.stdout.write(`dump: ${r.keys} keys in ${r.files.length} files in ${outdir}\n`);
      } finally {
        await store.close();
      }
    });

  program
    .command('fsck')
    .description('check that keys, hashes, indexes and the recon prefix tree agree; exit 1 if they do not')
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .action(async (opts: StoreFlags) => {
      const config = configFrom(opts);
      const { store, trees } = openStore(config.data, { readOnly: true });
      try {
        const report = fsck(store);
        for (const policy of store.policies) {
          const tree = trees.get(policy);
          const treeProblems = tree ? checkPrefixTree(store, tree, policy) : [`this store has no ${policy} prefix tree: run 'dkeyserv pbuild'`];
          report.problems.push(...treeProblems.map((what) => ({ subject: `${policy} prefix tree`, what })));
        }
        if (config.quorum) report.problems.push(...checkAttestationTree(store, config.quorum).map((what) => ({ subject: 'attestation tree', what })));
        report.problemCount = Math.max(report.problemCount, report.problems.length);
        process.stdout.write(formatFsck(report));
        if (report.problemCount > 0) process.exitCode = 1;
      } finally {
        await store.close();
      }
    });

  program
    .command('pbuild')
    .description('rebuild the recon prefix tree of every kept policy from the key store')
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .action(async (opts: StoreFlags) => {
      const { store, trees } = openStore(configFrom(opts).data, { mustExist: true });
      try {
        for (const [policy, tree] of trees) {
          const n = rebuildPrefixTree(store, tree, policy);
          process.stdout.write(`pbuild: ${policy} prefix tree rebuilt with ${n} elements\n`);
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('node-id')
    .description("print this node's quorum attestation key (base64), creating it on first use")
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file')
    .action((opts: StoreFlags) => {
      process.stdout.write(nodeId(configFrom(opts).data) + '\n');
    });

  program
    .command('verify-quorum')
    .description('check a key and its quorum proof (JSON on standard input) offline against a policy file')
    .requiredOption('--policy <file>', 'the peer-set policy ([quorum] and [[quorum.member]] tables)')
    .option('--key <file>', "the key's packets (binary or armored), instead of the proof's base64 `key`")
    .action(async (opts: { policy: string; key?: string }) => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      const verdict = verifyQuorum(opts.policy, Buffer.concat(chunks).toString('utf8'), opts.key);
      process.stdout.write(verdict.line + '\n');
      if (!verdict.ok) process.exitCode = 1;
    });

  for (const [name, description, parts] of [
    ['serve', 'serve HKP and SKS reconciliation (recon) in one process', { hkp: true, recon: true }],
    ['db', 'serve HKP only (the SKS-style database process)', { hkp: true, recon: false }],
    ['recon', 'run SKS reconciliation only (a `db` process on the same data serves hashquery)', { hkp: false, recon: true }],
  ] as const) {
    program
      .command(name)
      .description(description)
      .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
      .option('-c, --config <file>', 'TOML configuration file')
      .option('--hkp <host:port>', 'HKP listen address (default 127.0.0.1:11371)')
      .option('--recon <host:port|none>', 'recon listen address, or none (default 127.0.0.1:11370)')
      .option('--peer <host:port[/policy]>', 'a recon partner, optionally pinned to one recon policy (repeatable)', collect, [] as string[])
      .option('--policy <name>', POLICY_HELP, collect, [] as string[])
      .option('--membership <file>', 'an SKS membership file of recon partners (host port per line)')
      .option('--gossip-interval <seconds>', 'seconds between gossip rounds (0: never initiate)', nonNegativeInt)
      .action(async (opts: StoreFlags & { hkp?: string; recon?: string; peer: string[]; membership?: string; gossipInterval?: number }) => {
        const config = configFrom(opts);
        if (opts.hkp) config.hkp.listen = parseHostPort(opts.hkp, '--hkp');
        if (opts.recon) config.recon.listen = opts.recon === 'none' ? undefined : parseHostPort(opts.recon, '--recon');
        config.recon.peers.push(...opts.peer.map((p) => parsePeer(p, '--peer')));
        if (opts.membership) config.recon.membership = opts.membership;
        if (opts.gossipInterval !== undefined) config.recon.gossipInterval = opts.gossipInterval;
        if (parts.recon && !parts.hkp && !config.recon.listen) throw new CliError('recon: --recon none leaves nothing to run');
        await serve(config, VERSION, parts);
      });
  }

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; everything else commander reports is a usage error
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`dkeyserv: ${e.message}\n`);
      return e.exitCode;
    }
    process.stderr.write(`dkeyserv: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
