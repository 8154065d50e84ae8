/**
 * `dkeyserv verify-quorum --policy FILE [--key FILE]`: an offline check of a key and its quorum
 * proof, so that no client has to trust the server it asked (docs/quorum.md §11).
 *
 * It reads one JSON document on standard input: the proof fields of `op=x-quorum` (policy,
 * fingerprint, keyHash, packetsSha256, attestations) and `key`, the key's stored packets in
 * base64 — or the key comes from `--key FILE` (binary or armored). Prints one verdict line;
 * exit code 1 if the proof does not hold. It needs no data directory, so it takes no `--data`
 * or `--config`, and its `--policy` is the peer-set file, not a recon policy.
 */
import { readFileSync } from 'node:fs';
import { dearmor, looksArmored } from '@dkeyserv/pgp';
import { parsePolicy, parseProof, QuorumPolicy, verifyProof } from '@dkeyserv/quorum';
import { CliError } from '../errors';
import { Register } from './options';

export const register: Register = (program) => {
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
};

function loadPolicy(file: string): QuorumPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`policy ${file}: ${(e as Error).message}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return parsePolicy((require('smol-toml') as typeof import('smol-toml')).parse(text));
  } catch (e) {
    throw new CliError(`policy ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}

function keyFromFile(file: string): Buffer {
  const bytes = readFileSync(file);
  return looksArmored(bytes) ? dearmor(bytes.toString('utf8'))[0]?.data ?? Buffer.alloc(0) : bytes;
}

interface QuorumVerdict {
  ok: boolean;
  line: string;
}

function verifyQuorum(policyFile: string, input: string, keyFile?: string): QuorumVerdict {
  const policy = loadPolicy(policyFile);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(input) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`standard input is not a JSON proof: ${(e as Error).message}`);
  }
  const key = keyFile ? keyFromFile(keyFile) : typeof doc.key === 'string' ? Buffer.from(doc.key, 'base64') : undefined;
  if (!key || key.length === 0) throw new CliError('no key: give --key FILE or a base64 "key" field in the proof');
  const { key: _key, ...proofJson } = doc;
  void _key;
  let proof;
  try {
    proof = parseProof(proofJson);
  } catch (e) {
    throw new CliError(`the proof is malformed: ${(e as Error).message}`);
  }
  const v = verifyProof(key, proof, policy);
  if (v.ok) return { ok: true, line: `valid: ${v.members.length} of ${policy.n} members of ${policy.name} v${policy.version} (k = ${policy.k}) vouch for ${proof.fingerprint.toString('hex').toUpperCase()}: ${v.members.join(', ')}` };
  return { ok: false, line: `NOT valid: ${v.reason}${v.message ? `: ${v.message}` : ''}` };
}
