/**
 * `dkeyserv hashes [--policy NAME]`: every key hash of a recon policy, lowercase hex, one per
 * line, ascending; keys that policy holds no version of go to `errors`, one line each with the
 * reason (docs/recon-policies.md).
 */
import { KeyStore } from '@dkeyserv/db';
import { ReconPolicyName } from '@dkeyserv/pgp';
import { Writable } from 'node:stream';
import { parsePolicyName } from '../config';
import { CliError } from '../errors';
import { withStore } from '../store';
import { configFrom, Register, storeCommand } from './options';

export const register: Register = (program) => {
  storeCommand(program, 'hashes', "print every key hash of a recon policy (default: the store's first), lowercase hex, one per line; keys the policy holds no version of are named on stderr with the reason")
    // one policy to print, not the repeatable store option: configFrom must not see it
    .option('--policy <name>', 'the recon policy whose hashes to print')
    .action(async (opts: { data?: string; config?: string; policy?: string }) => {
      await withStore(configFrom({ data: opts.data, config: opts.config }).data, { readOnly: true }, async ({ store }) => {
        const policy = opts.policy === undefined ? store.policies[0] : parsePolicyName(opts.policy, '--policy');
        if (!store.policies.includes(policy)) throw new CliError(`this store does not keep recon policy ${policy} (it keeps ${store.policies.join(', ')})`);
        await writeHashes(store, policy, process.stdout, process.stderr);
      });
    });
};

async function writeLines(out: Writable, lines: Iterable<string>): Promise<number> {
  let n = 0;
  let chunk: string[] = [];
  const flush = async () => {
    if (!out.write(chunk.join(''))) await new Promise((r) => out.once('drain', r));
    chunk = [];
  };
  for (const line of lines) {
    chunk.push(line + '\n');
    n++;
    if (chunk.length >= 4096) await flush();
  }
  await flush();
  return n;
}

export async function writeHashes(store: KeyStore, policy: ReconPolicyName, out: Writable, errors?: Writable): Promise<number> {
  const n = await writeLines(out, (function* () {
    for (const h of store.hashes(policy)) yield h.toString('hex');
  })());
  if (errors && store.hashCount(policy) !== store.count()) {
    await writeLines(errors, (function* () {
      for (const x of store.excluded(policy)) yield `${x.fpr.toString('hex')}: not in policy ${policy}: ${x.reason}: ${x.message}`;
    })());
  }
  return n;
}
