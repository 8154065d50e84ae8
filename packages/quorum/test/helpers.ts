/** Shared test fixtures: temporary directories, Debian's role keys, a peer set of fresh identities. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyringError, Packet, splitKeyring } from '@dkeyserv/pgp';
import { NodeIdentity } from '../src/identity';
import { QuorumPolicy } from '../src/policy';

export function tempDir(prefix = 'dks-quorum-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function roleKeys(): Packet[][] {
  const out: Packet[][] = [];
  for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
    if (isKeyringError(e)) throw e.error;
    out.push(e.packets);
  }
  return out;
}

export const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf'];

/** n fresh identities and the policy listing them as alpha, bravo, … */
export function peerSet(n: number, opts: { name?: string; version?: number; identities?: NodeIdentity[] } = {}): { ids: NodeIdentity[]; policy: QuorumPolicy } {
  const ids = opts.identities ?? Array.from({ length: n }, () => NodeIdentity.generate());
  const policy = new QuorumPolicy({
    name: opts.name ?? 'test-quorum',
    version: opts.version ?? 1,
    members: ids.map((id, i) => ({ name: NAMES[i], key: id.id, recon: `${NAMES[i]}.example.org:11370`, http: `https://${NAMES[i]}.example.org` })),
  });
  return { ids, policy };
}
