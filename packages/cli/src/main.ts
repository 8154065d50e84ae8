#!/usr/bin/env node
/**
 * dkeyserv command line (docs/operations.md §2). Exit codes: 0 ok, 1 failure, 2 usage error.
 * Errors a user can cause print one line on stderr, never a stack trace.
 *
 * The commands are `commands/*.ts`, one file each, registered from the table in
 * `commands/index.ts`; the options they share are `commands/options.ts`.
 */
import { Command, CommanderError } from 'commander';
import { COMMANDS } from './commands';
import { CliError, operatorError } from './errors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION: string = require('../package.json').version;

export function buildProgram(): Command {
  const program = new Command('dkeyserv')
    .description('OpenPGP keyserver: HKP, SKS reconciliation, SKS dumps, quorum attestations')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  for (const register of COMMANDS) register(program, { version: VERSION });
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
    const err = e instanceof CliError ? e : operatorError(e);
    if (err) {
      process.stderr.write(`dkeyserv: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`dkeyserv: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

/** `main(process.argv)`, its result as the exit code: what `bin/dkeyserv.js` and `node dist/main.js` run. */
export function run(): void {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

if (require.main === module) run();
