/**
 * The configuration file (docs/operations.md §3): one TOML file, every key optional, CLI flags override
 * it. Unknown keys are errors (a typo must not silently fall back to a default).
 *
 *   data = "./data"            hostname = "keys.example.org"   nodename = "dkeyserv"   contact = ""
 *   [hkp]        listen = "127.0.0.1:11371"  maxBodyBytes = 5242880  maxResults = 500
 *                workers = 0 (HTTP processes; 0: one per core)  cacheBytes = 67108864 (all workers together)
 *                verifyThreads = 0 (threads checking uploads' and recovered keys' signatures; 0: 1, or 2 from 4 cores)
 *                maxConnectionsPerIp = 256  firstByteTimeout = 5 (seconds)
 *   [hkp.rateLimit]  requests = 600  uploads = 30  windowSeconds = 60
 *   [limits]     maxPackets = 20000  maxKeyBytes = 8388608
 *                keyBudgetMs = 2000  (signature checks of one uploaded or recovered key; 0: none, docs/operations.md §13)
 *   [import]     bufferMiB = 64     (raw key bytes read and not yet written, docs/operations.md §4)
 *   [recon]      listen = "127.0.0.1:11370" (or "none")  gossipInterval = 60  peers = ["HOST:PORT", "HOST:PORT/POLICY"]
 *                policies = ["sks", "hockeypuck"]   (recon policies kept by a new store, docs/recon-policies.md)
 *                membership = "/path/to/membership"   (an SKS-style `host port` file)
 *                configTimeout = 10  messageTimeout = 60  sessionTimeout = 900   (seconds)
 *   [policy]     blocked = ["FPR", { fpr = "FPR", reason = "TEXT" }]   (keys taken down, docs/operations.md §14)
 *   [quorum]     name = "example-quorum"  version = 1      (the peer set: quorum mode on)
 *   [[quorum.member]]  name = "alpha"  key = "<node-id base64>"  recon = "HOST:PORT"  http = "URL"
 */
import { readFileSync } from 'node:fs';
import { checkReason, MAX_REASON_CHARS, parseFingerprint } from '@dkeyserv/db';
import { isReconPolicyName, RECON_POLICY_NAMES, ReconPolicyName } from '@dkeyserv/pgp';
import { parsePolicy, QuorumPolicy } from '@dkeyserv/quorum';
import { CliError } from './errors';

export interface HostPort {
  host: string;
  port: number;
}

/** A recon partner's address, optionally pinned to one recon policy (`HOST:PORT/POLICY`). */
export interface PeerAddress extends HostPort {
  policy?: ReconPolicyName;
}

export interface Config {
  data: string;
  hostname: string;
  nodename: string;
  contact: string;
  hkp: {
    listen: HostPort;
    maxBodyBytes: number;
    maxResults: number;
    /** HTTP worker processes (docs/operations.md §12); 0: one per core */
    workers: number;
    /** response cache bytes of all HKP processes together */
    cacheBytes: number;
    /** worker threads checking uploads' and recovered keys' signatures (docs/operations.md §13); 0: by cores */
    verifyThreads: number;
    /** connections per client address, all workers together; 0: no limit (docs/hkp.md §10) */
    maxConnectionsPerIp: number;
    /** seconds a connection may stay silent before the first byte of a request */
    firstByteTimeout: number;
    rateLimit: { requests: number; uploads: number; windowSeconds: number };
  };
  /** keyBudgetMs: wall-clock ms for one uploaded or recovered key's signature checks, 0: no budget (docs/operations.md §13) */
  limits: { maxPackets: number; maxKeyBytes: number; keyBudgetMs: number };
  /** `dkeyserv import`: MiB of raw key bytes read and not yet committed (import-pipeline.ts) */
  import: { bufferMiB: number };
  recon: {
    /** undefined: recon off */
    listen?: HostPort;
    /** seconds between gossip rounds; 0: never initiate */
    gossipInterval: number;
    peers: PeerAddress[];
    /** the recon policies of a new store (an existing one keeps its own); undefined: the default */
    policies?: ReconPolicyName[];
    membership?: string;
    /** seconds: for the peer's Config, for each message, for a whole session */
    configTimeout: number;
    messageTimeout: number;
    sessionTimeout: number;
  };
  /** the quorum peer set; quorum mode is on when the config names one (docs/quorum.md §2) */
  quorum?: QuorumPolicy;
  /** keys taken down by the config (docs/operations.md §14) */
  policy: { blocked: BlockedKey[] };
}

/** A `[policy] blocked` entry: a primary fingerprint and the one-line reason answers give. */
export interface BlockedKey {
  fpr: Buffer;
  reason: string;
}

/** The reason of a `[policy] blocked` entry given as a bare fingerprint. */
export const DEFAULT_BLOCK_REASON = "blocked by this server's configuration";

/** Most `[policy] blocked` entries (each is checked at every start). */
export const MAX_BLOCKED = 100_000;

export const DEFAULT_CONFIG: Config = {
  data: './data',
  hostname: 'localhost',
  nodename: 'dkeyserv',
  contact: '',
  hkp: {
    listen: { host: '127.0.0.1', port: 11371 },
    maxBodyBytes: 5 * 1024 * 1024,
    maxResults: 500,
    workers: 0,
    cacheBytes: 64 * 1024 * 1024,
    verifyThreads: 0,
    maxConnectionsPerIp: 256,
    firstByteTimeout: 5,
    rateLimit: { requests: 600, uploads: 30, windowSeconds: 60 },
  },
  limits: { maxPackets: 20_000, maxKeyBytes: 8 * 1024 * 1024, keyBudgetMs: 2000 },
  import: { bufferMiB: 64 },
  recon: { listen: { host: '127.0.0.1', port: 11370 }, gossipInterval: 60, peers: [], configTimeout: 10, messageTimeout: 60, sessionTimeout: 900 },
  policy: { blocked: [] },
};

/** `HOST:PORT` or `HOST:PORT/POLICY`. */
export function parsePeer(value: string, what: string): PeerAddress {
  const slash = value.lastIndexOf('/');
  if (slash < 0) return parseHostPort(value, what);
  return { ...parseHostPort(value.slice(0, slash), what), policy: parsePolicyName(value.slice(slash + 1), what) };
}

export function parsePolicyName(value: string, what: string): ReconPolicyName {
  if (!isReconPolicyName(value)) throw new CliError(`${what}: unknown recon policy ${JSON.stringify(value)} (known: ${RECON_POLICY_NAMES.join(', ')})`);
  return value;
}

export function parseHostPort(value: string, what: string): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new CliError(`${what}: expected HOST:PORT, got ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

type Shape = { [k: string]: 'string' | 'int' | 'hostport' | 'hostport-or-none' | 'peer-list' | 'policy-list' | 'blocked-list' | Shape };

const SHAPE: Shape = {
  data: 'string',
  hostname: 'string',
  nodename: 'string',
  contact: 'string',
  hkp: { listen: 'hostport', maxBodyBytes: 'int', maxResults: 'int', workers: 'int', cacheBytes: 'int', verifyThreads: 'int', maxConnectionsPerIp: 'int', firstByteTimeout: 'int', rateLimit: { requests: 'int', uploads: 'int', windowSeconds: 'int' } },
  limits: { maxPackets: 'int', maxKeyBytes: 'int', keyBudgetMs: 'int' },
  import: { bufferMiB: 'int' },
  recon: {
    listen: 'hostport-or-none',
    gossipInterval: 'int',
    peers: 'peer-list',
    policies: 'policy-list',
    membership: 'string',
    configTimeout: 'int',
    messageTimeout: 'int',
    sessionTimeout: 'int',
  },
  policy: { blocked: 'blocked-list' },
};

/** Read and check a config file; returns the defaults with the file's values applied. */
export function loadConfig(path: string | undefined): Config {
  const config: Config = structuredClone(DEFAULT_CONFIG);
  if (!path) return config;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`config ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  let parsed: Record<string, unknown>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    parsed = (require('smol-toml') as typeof import('smol-toml')).parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new CliError(`config ${path}: ${(e as Error).message.split('\n')[0]}`);
  }
  const { quorum, ...rest } = parsed;
  apply(config as unknown as Record<string, unknown>, rest, SHAPE, path, '');
  if (quorum !== undefined) {
    try {
      config.quorum = parsePolicy({ quorum });
    } catch (e) {
      throw new CliError(`config ${path}: [quorum]: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  checkBufferMiB(config.import.bufferMiB, `config ${path}: import.bufferMiB`);
  return config;
}

/** Bounds of `[import] bufferMiB` / `--buffer-mib`: room for a few worker batches, below 64 GiB. */
export const BUFFER_MIB_RANGE = [8, 65536] as const;

export function checkBufferMiB(n: number, what: string): void {
  if (!Number.isInteger(n) || n < BUFFER_MIB_RANGE[0] || n > BUFFER_MIB_RANGE[1]) {
    throw new CliError(`${what}: must be a whole number of MiB from ${BUFFER_MIB_RANGE[0]} to ${BUFFER_MIB_RANGE[1]}`);
  }
}

function apply(target: Record<string, unknown>, source: Record<string, unknown>, shape: Shape, file: string, prefix: string) {
  for (const [k, v] of Object.entries(source)) {
    const name = prefix + k;
    const kind = shape[k];
    if (kind === undefined) throw new CliError(`config ${file}: unknown key ${name}`);
    if (typeof kind === 'object') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CliError(`config ${file}: ${name} must be a table`);
      apply(target[k] as Record<string, unknown>, v as Record<string, unknown>, kind, file, name + '.');
    } else if (kind === 'string') {
      if (typeof v !== 'string') throw new CliError(`config ${file}: ${name} must be a string`);
      target[k] = v;
    } else if (kind === 'int') {
      const n = typeof v === 'bigint' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new CliError(`config ${file}: ${name} must be a whole number ≥ 0`);
      target[k] = n;
    } else if (kind === 'peer-list') {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new CliError(`config ${file}: ${name} must be a list of "HOST:PORT" or "HOST:PORT/POLICY"`);
      target[k] = v.map((x: string) => parsePeer(x, `config ${file}: ${name}`));
    } else if (kind === 'blocked-list') {
      target[k] = parseBlocked(v, `config ${file}: ${name}`);
    } else if (kind === 'policy-list') {
      if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string')) throw new CliError(`config ${file}: ${name} must be a non-empty list of recon policy names`);
      target[k] = v.map((x: string) => parsePolicyName(x, `config ${file}: ${name}`));
    } else {
      if (typeof v !== 'string') throw new CliError(`config ${file}: ${name} must be "HOST:PORT"`);
      target[k] = kind === 'hostport-or-none' && v === 'none' ? undefined : parseHostPort(v, `config ${file}: ${name}`);
    }
  }
}

/** `[policy] blocked`: fingerprints, or `{ fpr, reason }` tables; each fingerprint once. */
function parseBlocked(v: unknown, what: string): BlockedKey[] {
  const shape = `a list of "FINGERPRINT" or { fpr = "FINGERPRINT", reason = "one line of at most ${MAX_REASON_CHARS} characters" }`;
  if (!Array.isArray(v)) throw new CliError(`${what} must be ${shape}`);
  if (v.length > MAX_BLOCKED) throw new CliError(`${what}: ${v.length} entries, over the limit of ${MAX_BLOCKED}`);
  const seen = new Set<string>();
  return v.map((x: unknown, i) => {
    const at = `${what}[${i}]`;
    const table = typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : undefined;
    if (typeof x !== 'string' && !(table && typeof table.fpr === 'string' && (table.reason === undefined || typeof table.reason === 'string') && Object.keys(table).every((key) => key === 'fpr' || key === 'reason'))) {
      throw new CliError(`${at} must be "FINGERPRINT" or { fpr = "FINGERPRINT", reason = "TEXT" }`);
    }
    try {
      const fpr = parseFingerprint(typeof x === 'string' ? x : (table!.fpr as string));
      if (seen.has(fpr.toString('hex'))) throw new Error(`fingerprint ${fpr.toString('hex').toUpperCase()} is listed twice`);
      seen.add(fpr.toString('hex'));
      return { fpr, reason: checkReason((table?.reason as string | undefined) ?? DEFAULT_BLOCK_REASON) };
    } catch (e) {
      throw new CliError(`${at}: ${(e as Error).message}`);
    }
  });
}
