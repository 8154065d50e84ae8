/** Shared test fixtures: temporary directories, Debian's role keys, a peer set of fresh identities. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeIdentity } from '../src/identity';
import { QuorumPolicy } from '../src/policy';

export function tempDir(prefix = 'dks-quorum-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// (the db tests' fixture: quorum builds on db)
export { roleKeys } from '../../db/test/role-keys';

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
