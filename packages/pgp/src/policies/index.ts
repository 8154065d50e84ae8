/**
 * Recon policies (docs/recon-policies.md): each fixes the filter string a node advertises in its
 * recon Config and which packets of a stored key it hashes — its *view* of the key. A node may
 * keep several at once (the bridge): the store holds one, most complete version of each key, and
 * every policy hashes its own view of it.
 *
 * - `sks`: SKS 1.1.6 and Hockeypuck ≤ 2.1 (`yminsky.dedup,yminsky.merge`): the stored key as it is,
 *   versions 2–4.
 * - `hockeypuck`: Hockeypuck 2.2–2.3 (its filter string): Hockeypuck's normalisation. The string
 *   says `versions:34`, but 2.3's OpenPGP library reads v6 keys and nothing in Hockeypuck refuses
 *   them (checked in the 2.3.3 source), so v6 keys are held as it holds them.
 * - `hockeypuck-2.4`: Hockeypuck 2.4 (`versions:3+4+6+rfc9980`): the same with 2.4's rules.
 */
import { KeyStructureError } from '../errors';
import { flattenKey, PublicKey } from '../key';
import { Packet } from '../packet';
import { sksPacketsHash } from '../skshash';
import { hockeypuckView } from './hockeypuck';
import { SKS_VERSIONS } from './sks';

export const RECON_POLICY_NAMES = ['sks', 'hockeypuck', 'hockeypuck-2.4'] as const;
export type ReconPolicyName = (typeof RECON_POLICY_NAMES)[number];

/** The policies a new install keeps unless configured otherwise: SKS's network and Hockeypuck 2.2/2.3's. */
export const DEFAULT_POLICIES: readonly ReconPolicyName[] = ['sks', 'hockeypuck'];

/** A policy's view of one stored key: the packets it hashes, or why it holds no version of the key. */
export type PolicyView = { packets: Packet[]; hash: Buffer } | { reason: string; message: string };

/** A policy's view before hashing: the packet objects of the key it keeps, in the key's order. */
export type PolicyPackets = { packets: Packet[] } | { reason: string; message: string };

export function isExcluded(v: PolicyView | PolicyPackets): v is { reason: string; message: string } {
  return (v as { reason?: string }).reason !== undefined;
}

export interface ReconPolicy {
  readonly name: ReconPolicyName;
  /** the recon Config `filters` value, exactly as the software that runs this policy sends it */
  readonly filters: string;
  /** who runs it */
  readonly software: string;
  /** key versions whose keys this policy can hold */
  readonly versions: readonly number[];
  /** whether a peer's `filters` value is this policy's (SKS compares sets, Hockeypuck ≥ 2.2 strings) */
  accepts(filters: string): boolean;
  view(key: PublicKey): PolicyView;
  /** the view without its hash: the very packet objects of flattenKey(key) it keeps, in order */
  viewPackets(key: PublicKey): PolicyPackets;
}

/** The filter strings as each server sends them (docs/recon-policies.md, docs/recon.md §4). */
const SKS_FILTERS = 'yminsky.dedup,yminsky.merge';
const HOCKEYPUCK_FILTERS =
  'drop:UAT,drop:hardRevokedCruft,drop:implausible,drop:invalidSelfSig,drop:structuralMartian,drop:unbound,drop:unparseable,schema:application/pgp-keys,versions:34,yminsky.dedup,yminsky.merge';
const HOCKEYPUCK_24_FILTERS =
  'drop:UAT,drop:hardRevokedCruft,drop:implausible,drop:invalidSelfSig,drop:oldSlhdsaSelfSig,drop:structuralMartian,drop:unbound,drop:unparseable,schema:application/pgp-keys,versions:3+4+6+rfc9980,yminsky.dedup,yminsky.merge';

function hashed(v: PolicyPackets): PolicyView {
  return isExcluded(v) ? v : { packets: v.packets, hash: sksPacketsHash(v.packets) };
}

function wrongVersion(name: string, key: PublicKey, versions: readonly number[]): { reason: string; message: string } | undefined {
  if (versions.includes(key.version)) return undefined;
  return { reason: 'unsupported-version', message: `policy ${name} holds key versions ${versions.join(', ')} only, not v${key.version}` };
}

const sks: ReconPolicy = {
  name: 'sks',
  filters: SKS_FILTERS,
  software: 'SKS 1.1.6, Hockeypuck ≤ 2.1',
  versions: SKS_VERSIONS,
  // SKS test_configdata compares the comma-separated filters as sets
  accepts: (filters) => {
    const theirs = new Set(filters.split(','));
    return theirs.size === 2 && theirs.has('yminsky.dedup') && theirs.has('yminsky.merge');
  },
  view: (key) => hashed(sks.viewPackets(key)),
  viewPackets: (key) => wrongVersion('sks', key, SKS_VERSIONS) ?? { packets: flattenKey(key) },
};

function hockeypuck(name: ReconPolicyName, filters: string, software: string, variant: '2.3' | '2.4', versions: number[]): ReconPolicy {
  return {
    name,
    filters,
    software,
    versions,
    // conflux ≥ 2.2 compares the whole string (docs/recon.md §13, docs/recon-policies.md)
    accepts: (theirs) => theirs === filters,
    view(key) {
      return hashed(this.viewPackets(key));
    },
    viewPackets(key) {
      const wrong = wrongVersion(name, key, versions);
      if (wrong) return wrong;
      const v = hockeypuckView(key, variant);
      return 'kept' in v ? { packets: v.kept } : v;
    },
  };
}

export const RECON_POLICIES: Readonly<Record<ReconPolicyName, ReconPolicy>> = {
  sks,
  hockeypuck: hockeypuck('hockeypuck', HOCKEYPUCK_FILTERS, 'Hockeypuck 2.2–2.3', '2.3', [2, 3, 4, 6]),
  'hockeypuck-2.4': hockeypuck('hockeypuck-2.4', HOCKEYPUCK_24_FILTERS, 'Hockeypuck 2.4', '2.4', [2, 3, 4, 6]),
};

export function isReconPolicyName(name: string): name is ReconPolicyName {
  return (RECON_POLICY_NAMES as readonly string[]).includes(name);
}

/** The policy of this name; throws KeyStructureError('unknown-policy') for any other name. */
export function reconPolicy(name: string): ReconPolicy {
  if (!isReconPolicyName(name)) throw new KeyStructureError('unknown-policy', `unknown recon policy '${name}' (known: ${RECON_POLICY_NAMES.join(', ')})`);
  return RECON_POLICIES[name];
}

/** Key versions stored when these policies are kept: every version some of them hashes. */
export function storedVersions(names: readonly ReconPolicyName[]): number[] {
  return [...new Set(names.flatMap((n) => RECON_POLICIES[n].versions))].sort();
}

/** The first of `names` whose filters a peer's `filters` value matches. */
export function policyForFilters(names: readonly ReconPolicyName[], filters: string): ReconPolicy | undefined {
  return names.map((n) => RECON_POLICIES[n]).find((p) => p.accepts(filters));
}
