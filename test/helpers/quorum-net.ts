/**
 * A loopback network of dkeyserv quorum members for test/quorum/*: each member
 * is a real `dkeyserv serve` (HKP + recon) with its own data directory and node key, all named in
 * one `[quorum]` policy and peering with each other.
 *
 * @example
 * ```ts
 * const net = await QuorumNet.create(['alpha', 'bravo', 'charlie', 'delta']); // ids, ports, policy
 * await net.startAll();
 * afterAll(() => net.destroy());
 * await net.upload('alpha', armoredKey);
 * await net.waitServed(['alpha', 'bravo', 'charlie', 'delta'], fpr);
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run } from './dkeyserv';
import { reservePorts, ReconNode, startReconNode, waitUntil } from './recon-node';
import { httpRequest } from './server';

export interface Member {
  name: string;
  data: string;
  /** base64 node id (`dkeyserv node-id`) */
  id: string;
  hkpPort: number;
  reconPort: number;
  node?: ReconNode;
}

export interface QuorumNetOptions {
  /** seconds between gossip rounds (default 1) */
  gossipInterval?: number;
  /** members named in the policy but played by something else (a crafted peer): their ids */
  outsiders?: { name: string; id: string; reconPort: number }[];
  policyName?: string;
  /** more recon partners of every member (e.g. a real SKS: "127.0.0.1:PORT" or a port) */
  extraPeers?: Array<number | string>;
}

/** The `[quorum]` tables of a policy (TOML). */
export function policyToml(name: string, members: { name: string; id: string; reconPort?: number }[], version = 1): string {
  const lines = ['[quorum]', `name = "${name}"`, `version = ${version}`];
  for (const m of members) {
    lines.push('', '[[quorum.member]]', `name = "${m.name}"`, `key = "${m.id}"`);
    if (m.reconPort) lines.push(`recon = "127.0.0.1:${m.reconPort}"`);
  }
  return lines.join('\n') + '\n';
}

export class QuorumNet {
  private constructor(
    readonly dir: string,
    readonly members: Member[],
    readonly policy: string,
    private readonly opts: QuorumNetOptions,
  ) {}

  /** Create the members' data directories and node keys, pick ports, write the policy. */
  static async create(names: string[], opts: QuorumNetOptions = {}): Promise<QuorumNet> {
    const dir = mkdtempSync('/tmp/dks-qnet-');
    const ports = await reservePorts(names.length * 2);
    const members: Member[] = [];
    for (const [i, name] of names.entries()) {
      const data = path.join(dir, name);
      const r = await run(['node-id', '--data', data]);
      if (r.code !== 0) throw new Error(`dkeyserv node-id failed: ${r.stderr}`);
      members.push({ name, data, id: r.stdout.trim(), hkpPort: ports[2 * i], reconPort: ports[2 * i + 1] });
    }
    const all = [...members, ...(opts.outsiders ?? [])];
    const policy = policyToml(opts.policyName ?? 'test-quorum', all);
    writeFileSync(path.join(dir, 'policy.toml'), policy);
    return new QuorumNet(dir, members, policy, opts);
  }

  member(name: string): Member {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member ${name}`);
    return m;
  }

  node(name: string): ReconNode {
    const n = this.member(name).node;
    if (!n?.running) throw new Error(`${name} is not running`);
    return n;
  }

  /**
   * Start a member (again): serve with the policy, peering with every other member and outsider,
   * and with `extraPeers` (default: the net's `extraPeers`; e.g. a real SKS for one member only).
   */
  async start(name: string, keys?: string[], extraPeers: Array<number | string> = this.opts.extraPeers ?? []): Promise<ReconNode> {
    const m = this.member(name);
    const peers = [...this.members.filter((x) => x !== m).map((x) => x.reconPort), ...(this.opts.outsiders ?? []).map((o) => o.reconPort), ...extraPeers];
    m.node = await startReconNode({
      label: name,
      data: m.data,
      keys,
      hkpPort: m.hkpPort,
      reconPort: m.reconPort,
      peers,
      gossipInterval: this.opts.gossipInterval ?? 1,
      rateLimit: { requests: 100_000, uploads: 10_000 },
      extraConfig: this.policy,
    });
    return m.node;
  }

  async startAll(): Promise<void> {
    await Promise.all(this.members.map((m) => this.start(m.name)));
  }

  async stop(name: string): Promise<void> {
    await this.member(name).node?.stop();
  }

  /** POST /pks/add (keytext=ARMORED) to a member; resolves with status and body. */
  upload(name: string, armored: string): Promise<{ status: number; text: string }> {
    return httpRequest(this.member(name).hkpPort, '/pks/add', { method: 'POST', body: `keytext=${encodeURIComponent(armored)}`, contentType: 'application/x-www-form-urlencoded' });
  }

  /** op=get by fingerprint on a member: 200 once a version is accepted there. */
  get(name: string, fpr: string): Promise<{ status: number; text: string }> {
    return this.node(name).get(`/pks/lookup?op=get&options=mr&search=0x${fpr}`);
  }

  /** Wait until every named member serves the key (op=get 200); resolves with the ms it took. */
  waitServed(names: string[], fpr: string, timeoutMs = 60_000): Promise<number> {
    return waitUntil(
      async () => {
        const r = await Promise.all(names.map((n) => this.get(n, fpr)));
        const missing = names.filter((_, i) => r[i].status !== 200);
        return missing.length === 0 || `not served by ${missing.join(', ')}`;
      },
      { timeoutMs, intervalMs: 100, what: `${fpr} is served by ${names.join(', ')}` },
    );
  }

  /** Stop every member and delete everything. */
  async destroy(): Promise<void> {
    await Promise.all(this.members.map((m) => m.node?.destroy().catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
