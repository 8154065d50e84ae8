/**
 * The peer-set policy (docs/quorum.md §2): a static, versioned list of named members with their
 * Ed25519 keys, the threshold k = ⌊2n/3⌋ + 1, and the policy hash that every attestation names,
 * so peers on different policies never count toward each other's quorum.
 * Membership is only ever what the operator wrote: no peer is admitted automatically
 * (dat-keyserver's flaw).
 *
 * In the configuration file (TOML, read by the CLI with smol-toml) the policy is:
 *
 * ```toml
 * [quorum]
 * name = "example-keyservers"   # 1–64 printable ASCII characters
 * version = 3                   # 1 … 4294967295: bump it on every membership change
 *
 * [[quorum.member]]             # one table per member, this node included
 * name = "alpha"                # 1–64 printable ASCII characters, unique
 * key = "Hq4m…base64…="         # the member's `dkeyserv node-id`, unique
 * recon = "alpha.example.org:11370"     # optional
 * http = "https://alpha.example.org"    # optional
 * ```
 *
 * Unknown fields are errors, as everywhere in the configuration (a typo must not pass silently).
 *
 * The policy hash is SHA-256 over the canonical encoding of the domain tag
 * `dkeyserv/policy/v1`, the name, the version and the members sorted by key, each as key and
 * name. Addresses are left out on purpose: a member moving to a new host is an operational change
 * that must not fork the quorum, whereas keys and names are what an attestation and a proof
 * report, so changing them is a new policy (and should come with a new version).
 */
import { createHash, KeyObject } from 'node:crypto';
import { ByteWriter } from './encoding';
import { ED25519_KEY_BYTES, formatNodeId, parseNodeId, publicKeyFromRaw, verifyEd25519 } from './ed25519';
import { PolicyError } from './errors';

export const POLICY_DOMAIN = 'dkeyserv/policy/v1';
export const MAX_MEMBERS = 256;
const MAX_VERSION = 0xffffffff;

export interface PolicyMember {
  readonly name: string;
  /** raw Ed25519 public key, 32 bytes: the member's node id */
  readonly key: Buffer;
  /** recon address, HOST:PORT */
  readonly recon?: string;
  /** HTTP base URL */
  readonly http?: string;
}

export interface PolicyDefinition {
  name: string;
  version: number;
  members: readonly PolicyMember[];
}

/** Members needed for acceptance among n: k = ⌊2n/3⌋ + 1, which tolerates f = n − k < n/3 faulty. */
export function threshold(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a peer set has at least one member, not ${n}`);
  return Math.floor((2 * n) / 3) + 1;
}

/** SHA-256 of the policy's canonical encoding (addresses excluded, see the file comment). */
export function policyHash(def: PolicyDefinition): Buffer {
  const w = new ByteWriter().bytes8(Buffer.from(POLICY_DOMAIN)).bytes8(Buffer.from(def.name)).u32(def.version).u16(def.members.length);
  for (const m of [...def.members].sort((a, b) => Buffer.compare(a.key, b.key))) w.fixed(m.key).bytes8(Buffer.from(m.name));
  return createHash('sha256').update(w.finish()).digest();
}

// printable ASCII, no leading or trailing space: one spelling per name, no Unicode look-alikes
const NAME = /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

/** A validated peer-set policy. */
export class QuorumPolicy {
  readonly name: string;
  readonly version: number;
  /** in the order the policy lists them */
  readonly members: readonly PolicyMember[];
  /** number of members */
  readonly n: number;
  /** distinct member attestations that make a key version accepted */
  readonly k: number;
  /** faulty members tolerated: n − k */
  readonly f: number;
  readonly hash: Buffer;
  private readonly byKey = new Map<string, { member: PolicyMember; publicKey: KeyObject }>();

  /** Validate `def` (throws PolicyError). */
  constructor(def: PolicyDefinition) {
    checkName(def.name, 'quorum.name');
    if (!Number.isInteger(def.version) || def.version < 1 || def.version > MAX_VERSION) {
      throw new PolicyError('invalid-policy', `quorum.version must be a whole number from 1 to ${MAX_VERSION}`);
    }
    if (def.members.length < 1) throw new PolicyError('invalid-policy', 'quorum: a policy needs at least one [[quorum.member]]');
    if (def.members.length > MAX_MEMBERS) throw new PolicyError('invalid-policy', `quorum: at most ${MAX_MEMBERS} members, not ${def.members.length}`);
    const names = new Set<string>();
    def.members.forEach((m, i) => {
      const at = `quorum.member[${i}]`;
      checkName(m.name, `${at}.name`);
      if (names.has(m.name)) throw new PolicyError('invalid-policy', `${at}.name: ${JSON.stringify(m.name)} is listed twice`);
      names.add(m.name);
      if (m.key.length !== ED25519_KEY_BYTES) throw new PolicyError('invalid-policy', `${at}.key: an Ed25519 public key has 32 bytes, not ${m.key.length}`);
      const id = m.key.toString('hex');
      const dup = this.byKey.get(id);
      if (dup) throw new PolicyError('invalid-policy', `${at}.key: the same key as member ${JSON.stringify(dup.member.name)}`);
      if (m.recon !== undefined) checkHostPort(m.recon, `${at}.recon`);
      if (m.http !== undefined) checkUrl(m.http, `${at}.http`);
      const member: PolicyMember = Object.freeze({ name: m.name, key: Buffer.from(m.key), recon: m.recon, http: m.http });
      this.byKey.set(id, { member, publicKey: publicKeyFromRaw(member.key) });
    });
    this.name = def.name;
    this.version = def.version;
    this.members = Object.freeze([...this.byKey.values()].map((e) => e.member));
    this.n = this.members.length;
    this.k = threshold(this.n);
    this.f = this.n - this.k;
    this.hash = policyHash(this);
  }

  /** The member whose node id is `id`. */
  member(id: Uint8Array): PolicyMember | undefined {
    return this.byKey.get(Buffer.from(id).toString('hex'))?.member;
  }

  /** Whether member `id` signed `message` with `signature` (false for a non-member). */
  verifySignature(id: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
    const entry = this.byKey.get(Buffer.from(id).toString('hex'));
    return entry !== undefined && verifyEd25519(entry.publicKey, message, signature);
  }

  /** e.g. `example-keyservers v3 (4 members, k = 3)` */
  toString(): string {
    return `${this.name} v${this.version} (${this.n} member${this.n === 1 ? '' : 's'}, k = ${this.k})`;
  }
}

/**
 * The policy from a parsed configuration document: its `[quorum]` table as in the file comment.
 * Throws PolicyError naming the field at fault.
 */
export function parsePolicy(doc: unknown): QuorumPolicy {
  const root = table(doc, 'configuration');
  const q = table(root.quorum, 'quorum');
  allowOnly(q, ['name', 'version', 'member'], 'quorum');
  if (!Array.isArray(q.member)) throw new PolicyError('invalid-policy', 'quorum.member must be a list of [[quorum.member]] tables');
  const members = q.member.map((entry: unknown, i: number): PolicyMember => {
    const at = `quorum.member[${i}]`;
    const m = table(entry, at);
    allowOnly(m, ['name', 'key', 'recon', 'http'], at);
    const key = parseNodeId(string(m.key, `${at}.key`));
    if (!key) throw new PolicyError('invalid-policy', `${at}.key must be a node id: the base64 of 32 bytes, as printed by \`dkeyserv node-id\``);
    return {
      name: string(m.name, `${at}.name`),
      key,
      recon: m.recon === undefined ? undefined : string(m.recon, `${at}.recon`),
      http: m.http === undefined ? undefined : string(m.http, `${at}.http`),
    };
  });
  const version = typeof q.version === 'bigint' ? Number(q.version) : q.version;
  if (typeof version !== 'number') throw new PolicyError('invalid-policy', 'quorum.version must be a whole number');
  return new QuorumPolicy({ name: string(q.name, 'quorum.name'), version, members });
}

/** The policy as a configuration document (the inverse of parsePolicy). */
export function policyDocument(policy: QuorumPolicy): { quorum: Record<string, unknown> } {
  return {
    quorum: {
      name: policy.name,
      version: policy.version,
      member: policy.members.map((m) => ({ name: m.name, key: formatNodeId(m.key), ...(m.recon && { recon: m.recon }), ...(m.http && { http: m.http }) })),
    },
  };
}

function table(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new PolicyError('invalid-policy', `${what} must be a table`);
  return v as Record<string, unknown>;
}

function allowOnly(t: Record<string, unknown>, keys: readonly string[], what: string) {
  for (const k of Object.keys(t)) if (!keys.includes(k)) throw new PolicyError('invalid-policy', `${what}: unknown key ${k}`);
}

function string(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new PolicyError('invalid-policy', `${what} must be a string`);
  return v;
}

function checkName(v: string, what: string) {
  if (!NAME.test(v)) throw new PolicyError('invalid-policy', `${what}: ${JSON.stringify(v)} is not 1–64 printable ASCII characters without surrounding spaces`);
}

function checkHostPort(v: string, what: string) {
  const m = HOST_PORT.exec(v);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new PolicyError('invalid-policy', `${what}: expected HOST:PORT, got ${JSON.stringify(v)}`);
}

function checkUrl(v: string, what: string) {
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new PolicyError('invalid-policy', `${what}: expected an http:// or https:// URL, got ${JSON.stringify(v)}`);
}
