/**
 * What the commands share, defined once (docs/operations.md §2): how a command registers itself,
 * the `-d, --data` and `-c, --config` options of every command that works on a data directory,
 * the repeatable `--policy NAME` of the commands that may create a store, and the configuration
 * file with those flags over it (docs/operations.md §3). Logging needs no flag: the level is
 * `DKEYSERV_LOG_LEVEL` (`../logger.ts`, docs/operations.md §10).
 */
import { Command, Option } from 'commander';
import { Config, loadConfig, parsePolicyName } from '../config';

/** What every registration is given besides the program. */
export interface Shared {
  /** the package version, for `--version` and what the servers advertise */
  version: string;
}

/** A command's registration: adds the command, its options and its action to `program`. */
export type Register = (program: Command, shared: Shared) => void;

/** The flags `configFrom` reads. */
export interface StoreFlags {
  data?: string;
  config?: string;
  /** --policy, repeatable: the recon policies of a new store (docs/recon-policies.md) */
  policy?: string[];
}

/** For repeatable options: each occurrence appends to the list. */
export const collect = (value: string, list: string[]): string[] => [...list, value];

/** `dkeyserv NAME` with `-d, --data DIR` and `-c, --config FILE`. */
export function storeCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .option('-d, --data <dir>', 'data directory (default ./data, or `data` in the config file)')
    .option('-c, --config <file>', 'TOML configuration file');
}

/** `--policy NAME`, repeatable: the recon policies a new store keeps (`StoreFlags.policy`). */
export function policiesOption(): Option {
  return new Option('--policy <name>', 'a recon policy the store keeps: sks, hockeypuck, hockeypuck-2.4 (repeatable; a new store keeps sks and hockeypuck unless told)')
    .argParser(collect)
    .default([] as string[]);
}

/** The config file's values (or the defaults) with the command-line flags over them. */
export function configFrom(opts: StoreFlags): Config {
  const config = loadConfig(opts.config);
  if (opts.data) config.data = opts.data;
  if (opts.policy?.length) config.recon.policies = opts.policy.map((p) => parsePolicyName(p, '--policy'));
  return config;
}
