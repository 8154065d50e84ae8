/**
 * Config (code 10, both sides, first; docs/recon.md §4): int n, then n (key, value) strings.
 * `http port`, `bitquantum` and `mbar` hold 4-byte big-endian ints; `version` and `filters`
 * are text. After the exchange each side sends a bare status string (docs/recon.md §4), see
 * `encodeConfigStatus` and `MessageReader.nextStatus`.
 */
import { ReconProtocolError } from '../errors';
import { WireWriter } from './wire';
import type { WireReader } from './wire';

/** One key/value pair as sent. Keys are byte strings mapped 1:1 to chars (latin1). */
export type ConfigEntry = readonly [key: string, value: Buffer];

export interface ConfigMessage {
  readonly type: 'Config';
  /** The pairs in wire order, values raw, so a decoded Config re-encodes byte for byte. */
  readonly entries: readonly ConfigEntry[];
}

/** What this side advertises. */
export interface ReconConfig {
  /** "1.1.6" for SKS and conflux (docs/recon.md §4). */
  readonly version: string;
  readonly httpPort: number;
  readonly bitQuantum: number;
  readonly mbar: number;
  /** Comma-separated, e.g. "yminsky.dedup,yminsky.merge" for SKS partners (docs/recon-policies.md). */
  readonly filters: string;
  /** Extra text pairs (conflux sends them after its five; SKS ignores unknown keys). */
  readonly custom?: readonly (readonly [string, string])[];
}

/** A peer's Config as parsed; every standard entry may be missing. */
export interface PeerConfig {
  readonly version?: string;
  readonly httpPort?: number;
  readonly bitQuantum?: number;
  readonly mbar?: number;
  readonly filters?: string;
  readonly custom: ReadonlyMap<string, string>;
}

/** The status string sent after the Config exchange (docs/recon.md §4), also the result of `checkConfig`. */
export type ConfigStatus = { readonly passed: true } | { readonly passed: false; readonly reason: string };

const KEY_VERSION = 'version';
const KEY_HTTP_PORT = 'http port';
const KEY_BITQUANTUM = 'bitquantum';
const KEY_MBAR = 'mbar';
const KEY_FILTERS = 'filters';
const INT_KEYS = new Set([KEY_HTTP_PORT, KEY_BITQUANTUM, KEY_MBAR]);
const STANDARD_KEYS = new Set([KEY_VERSION, KEY_FILTERS, ...INT_KEYS]);

export function writeConfig(w: WireWriter, msg: ConfigMessage): void {
  w.int(msg.entries.length);
  for (const [key, value] of msg.entries) w.bytes(Buffer.from(key, 'latin1')).bytes(value);
}

export function readConfig(r: WireReader): ConfigMessage {
  const n = r.int('Config pair count');
  if (n > r.limits.maxConfigPairs) {
    throw new ReconProtocolError('limit', `Config: ${n} pairs exceeds the limit ${r.limits.maxConfigPairs}`);
  }
  const entries: ConfigEntry[] = [];
  for (let i = 0; i < n; i++) {
    const key = r.bytes('Config key').toString('latin1');
    const value = Buffer.from(r.bytes('Config value'));
    entries.push([key, value]);
  }
  return { type: 'Config', entries };
}

function int4(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v);
  return b;
}

/** Our Config message, keys in conflux's order: version, http port, bitquantum, mbar, filters, custom. */
export function configMessage(config: ReconConfig): ConfigMessage {
  const entries: ConfigEntry[] = [
    [KEY_VERSION, Buffer.from(config.version, 'utf8')],
    [KEY_HTTP_PORT, int4(config.httpPort)],
    [KEY_BITQUANTUM, int4(config.bitQuantum)],
    [KEY_MBAR, int4(config.mbar)],
    [KEY_FILTERS, Buffer.from(config.filters, 'utf8')],
  ];
  for (const [key, value] of config.custom ?? []) {
    if (STANDARD_KEYS.has(key)) throw new RangeError(`Config: custom key ${JSON.stringify(key)} is a standard key`);
    entries.push([key, Buffer.from(value, 'utf8')]);
  }
  return { type: 'Config', entries };
}

/** Last value per key, as a map-based reader (SKS PMap, conflux map) sees it. */
function entryMap(msg: ConfigMessage): Map<string, Buffer> {
  return new Map(msg.entries);
}

/**
 * A peer's Config as typed fields. Like conflux `Config.unmarshal`, a present `http port`,
 * `bitquantum` or `mbar` must be exactly 4 bytes (else ReconProtocolError 'config').
 */
export function parseConfig(msg: ConfigMessage): PeerConfig {
  const map = entryMap(msg);
  const int = (key: string): number | undefined => {
    const v = map.get(key);
    if (v === undefined) return undefined;
    if (v.length !== 4) throw new ReconProtocolError('config', `Config: "${key}" must be a 4-byte int, got ${v.length} bytes`);
    return v.readUInt32BE(0);
  };
  const custom = new Map<string, string>();
  for (const [key, value] of map) if (!STANDARD_KEYS.has(key)) custom.set(key, value.toString('utf8'));
  return {
    version: map.get(KEY_VERSION)?.toString('utf8'),
    httpPort: int(KEY_HTTP_PORT),
    bitQuantum: int(KEY_BITQUANTUM),
    mbar: int(KEY_MBAR),
    filters: map.get(KEY_FILTERS)?.toString('utf8'),
    custom,
  };
}

// --- SKS test_configdata (reconCS.ml), reproduced with its exact reason texts ---------------

/** An OCaml exception as Printexc.to_string prints it; turned into "Error parsing configdata: …". */
class OcamlFailure extends Error {}
/** OCaml Not_found: a missing entry. */
class MissingEntry extends Error {}

/** OCaml Str.bounded_split on a one-character delimiter: one leading and one trailing delimiter are ignored, max parts (0 = unbounded). */
function strSplit(text: string, sep: string, max: number): string[] {
  const out: string[] = [];
  let start = text.startsWith(sep) ? sep.length : 0;
  let n = max;
  while (start < text.length) {
    if (n === 1) {
      out.push(text.slice(start));
      break;
    }
    const pos = text.indexOf(sep, start);
    if (pos < 0) {
      out.push(text.slice(start));
      break;
    }
    out.push(text.slice(start, pos));
    start = pos + sep.length;
    n--;
  }
  return out;
}

/** OCaml Stdlib int_of_string (decimal, 0x/0o/0b prefixes, optional sign, underscores). */
function ocamlIntOfString(s: string): number {
  // Anchored; each alternative is one character class run, so linear on a peer's 64 KiB (docs/architecture.md §8).
  const m = /^([+-]?)(0[xX][0-9a-fA-F][0-9a-fA-F_]*|0[oO][0-7][0-7_]*|0[bB][01][01_]*|[0-9][0-9_]*)$/.exec(s);
  if (!m) throw new OcamlFailure('Failure("int_of_string")');
  const body = m[2].replace(/_/g, '');
  const radix = /^0[xX]/.test(body) ? 16 : /^0[oO]/.test(body) ? 8 : /^0[bB]/.test(body) ? 2 : 10;
  const v = parseInt(radix === 10 ? body : body.slice(2), radix);
  return m[1] === '-' ? -v : v;
}

/** common.ml parse_version_string: three "."-separated ints. */
function parseVersion(text: string): [number, number, number] {
  const parts = strSplit(text, '.', 3);
  if (parts.length < 3) throw new OcamlFailure('Invalid_argument("index out of bounds")');
  return [ocamlIntOfString(parts[0]), ocamlIntOfString(parts[1]), ocamlIntOfString(parts[2])];
}

/** CMarshal.int_of_string: the first 4 bytes as a big-endian int. */
function marshalledInt(value: Buffer): number {
  if (value.length < 4) throw new OcamlFailure('End_of_file');
  return value.readUInt32BE(0);
}

/** MList.to_string ~f:(sprintf "%s"): "[ a b ]". */
function ocamlList(items: readonly string[]): string {
  return `[ ${items.map((s) => `${s} `).join('')}]`;
}

const COMPATIBLE_VERSION: readonly [number, number, number] = [0, 1, 5];

function versionBelow(v: readonly number[], min: readonly number[]): boolean {
  for (let i = 0; i < 3; i++) if (v[i] !== min[i]) return v[i] < min[i];
  return false;
}

/**
 * SKS's acceptance rules (docs/recon.md §4, `reconCS.ml` test_configdata), in SKS's order and with its
 * reason texts: version (≥ 0.1.5, three ints), filters as sets, bitquantum, mbar; a missing
 * entry gives "Missing entry in configdata". `http port` is not checked here.
 */
export function checkConfig(local: ReconConfig, remote: ConfigMessage): ConfigStatus {
  const map = entryMap(remote);
  const get = (key: string): Buffer => {
    const v = map.get(key);
    if (v === undefined) throw new MissingEntry();
    return v;
  };
  try {
    const versionText = get(KEY_VERSION).toString('utf8');
    if (versionBelow(parseVersion(versionText), COMPATIBLE_VERSION)) {
      return { passed: false, reason: `Requires version at least ${COMPATIBLE_VERSION.join('.')}.  ${versionText} provided ` };
    }
    const localFilters = strSplit(local.filters, ',', 0);
    const remoteFilters = strSplit(get(KEY_FILTERS).toString('utf8'), ',', 0);
    const localSet = new Set(localFilters);
    const remoteSet = new Set(remoteFilters);
    if (localSet.size !== remoteSet.size || [...localSet].some((f) => !remoteSet.has(f))) {
      return {
        passed: false,
        reason: `filters do not match.\n\tlocal filters: ${ocamlList(localFilters)}\n\tremote filters: ${ocamlList(remoteFilters)}`,
      };
    }
    const bitQuantum = marshalledInt(get(KEY_BITQUANTUM));
    const mbar = marshalledInt(get(KEY_MBAR));
    if (bitQuantum !== local.bitQuantum) return { passed: false, reason: 'bitquantum values do not match' };
    if (mbar !== local.mbar) return { passed: false, reason: 'mbar values do not match' };
    return { passed: true };
  } catch (err) {
    if (err instanceof MissingEntry) return { passed: false, reason: 'Missing entry in configdata' };
    if (err instanceof OcamlFailure) return { passed: false, reason: `Error parsing configdata: ${err.message}` };
    throw err;
  }
}

/**
 * The bare, unframed status strings of the Config exchange (docs/recon.md §4): "passed", or
 * "failed" followed by the reason.
 */
export function encodeConfigStatus(status: ConfigStatus): Buffer {
  const w = new WireWriter();
  if (status.passed) w.bytes('passed');
  else w.bytes('failed').bytes(status.reason);
  return Buffer.from(w.finish());
}
