/**
 * `dkeyserv hashes [--policy NAME]`: every key hash of a recon policy, lowercase hex, one per
 * line, ascending; keys that policy holds no version of go to `errors`, one line each with the
 * reason (docs/recon-policies.md).
 */
import { KeyStore } from '@dkeyserv/db';
import { ReconPolicyName } from '@dkeyserv/pgp';
import { Writable } from 'node:stream';

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
