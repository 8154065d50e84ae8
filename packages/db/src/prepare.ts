/**
 * The CPU half of ingest, with no database access: parse, normalise per the recon policy,
 * verify self-signatures, hash, derive index terms. It runs on worker threads during imports
 * (prepare-pool.ts) and inline for single keys; `KeyStore.commit` does the rest.
 */
import {
  checkKeyShape,
  DEFAULT_KEY_LIMITS,
  DEFAULT_KEY_SHAPE_LIMITS,
  DEFAULT_PACKET_LIMITS,
  flattenKey,
  joinPackets,
  keyIdentity,
  KeyLimits,
  KeyShapeLimits,
  KeyValidity,
  hasServedUserId,
  isExcluded,
  normalizeKey,
  Packet,
  PacketLimits,
  PgpError,
  PublicKey,
  RECON_POLICIES,
  ReconPolicyName,
  sksPacketsHash,
  splitPackets,
  storedVersions,
  setVerifyBudget,
  Tag,
  verifyBudgetError,
  verifySelfSignatures,
} from '@dkeyserv/pgp';
import { StoredView } from './record';
import { keyTerms, KeyTerms } from './terms';

/** A key ready to be written: everything derived from its bytes alone. */
export interface PreparedKey {
  fpr: Buffer;
  version: number;
  /** SKS hash of `packets` */
  hash: Buffer;
  /** the normalised key's packets, headers as received */
  packets: Buffer;
  created: number;
  validity: KeyValidity;
  terms: KeyTerms;
  /** a User ID (not an attribute) that its owner certified or revoked: the key is servable */
  servedUserId: boolean;
  /** each kept recon policy's view where it is not simply all of `packets` */
  views: Partial<Record<ReconPolicyName, StoredView>>;
}

/** A key that cannot be stored, with a short reason and a one-line message. */
export interface Rejection {
  status: 'rejected';
  fpr?: string;
  reason: string;
  message: string;
}

export interface PrepareOptions {
  /** the recon policies kept: their views are computed, and they decide the key versions stored */
  policies: readonly ReconPolicyName[];
  limits: KeyLimits;
  packetLimits: PacketLimits;
  /** cheap limits checked before any signature is (docs/operations.md §13); default DEFAULT_KEY_SHAPE_LIMITS */
  shape?: KeyShapeLimits;
  /**
   * wall-clock milliseconds one key's signature checks may take before the key is refused
   * (`too-expensive`, docs/operations.md §13); unset: no budget (imports, where a slow machine
   * must not make the result depend on timing)
   */
  budgetMs?: number;
}

export const DEFAULT_PREPARE_OPTIONS: PrepareOptions = { policies: ['sks'], limits: DEFAULT_KEY_LIMITS, packetLimits: DEFAULT_PACKET_LIMITS };

export function isRejection(p: PreparedKey | Rejection): p is Rejection {
  return (p as Rejection).status === 'rejected';
}

/**
 * The Rejection for a PgpError (anything else is rethrown). With the key's packets, it names the
 * key by its primary key's fingerprint when that packet can be read, so answers can say which
 * key was refused (HKP v2's `invalid` list needs a fingerprint: docs/hkp.md §12).
 */
export function rejection(e: unknown, packets?: readonly Packet[]): Rejection {
  if (!(e instanceof PgpError)) throw e;
  const fpr = packets && primaryFingerprint(packets);
  return { status: 'rejected', ...(fpr ? { fpr } : {}), reason: e.reason, message: e.message };
}

/** Lower-case hex fingerprint of the leading public-key packet, if it is one and readable. */
function primaryFingerprint(packets: readonly Packet[]): string | undefined {
  const first = packets[0];
  if (first?.tag !== Tag.PublicKey) return undefined;
  try {
    return keyIdentity(first.body).fingerprint.toString('hex');
  } catch (e) {
    if (e instanceof PgpError) return undefined;
    throw e;
  }
}

/**
 * Each policy's view of the key (docs/recon-policies.md), stored compactly: nothing when the view
 * is the whole key, else its hash and the positions of the packets it leaves out, or why the
 * policy holds no version of the key. A view that keeps every packet is not hashed again.
 */
export function policyViews(key: PublicKey, packets: readonly Packet[], hash: Buffer, policies: readonly ReconPolicyName[]): Partial<Record<ReconPolicyName, StoredView>> {
  const views: Partial<Record<ReconPolicyName, StoredView>> = {};
  for (const name of policies) {
    const v = RECON_POLICIES[name].viewPackets(key);
    if (isExcluded(v)) {
      views[name] = { reason: v.reason, message: v.message };
      continue;
    }
    // the same packet objects as `packets`: the whole key, whose hash is known
    if (v.packets.length === packets.length && v.packets.every((p, i) => p === packets[i])) continue;
    const h = sksPacketsHash(v.packets);
    if (h.equals(hash)) continue;
    views[name] = { hash: h, drop: leftOut(packets, v.packets) };
  }
  return views;
}

/** Positions in `all` of the packets `kept` (a sub-multiset of `all`, any order) leaves out. */
function leftOut(all: readonly Packet[], kept: readonly Packet[]): number[] {
  const wanted = new Map<string, number>();
  for (const p of kept) {
    const id = p.tag + ':' + p.body.toString('latin1');
    wanted.set(id, (wanted.get(id) ?? 0) + 1);
  }
  const drop: number[] = [];
  all.forEach((p, i) => {
    const id = p.tag + ':' + p.body.toString('latin1');
    const n = wanted.get(id) ?? 0;
    if (n > 0) wanted.set(id, n - 1);
    else drop.push(i);
  });
  return drop;
}

/** Everything about a parsed, normalised key that the store writes. */
export function describeKey(key: PublicKey, policies: readonly ReconPolicyName[] = DEFAULT_PREPARE_OPTIONS.policies): PreparedKey {
  const packets = flattenKey(key);
  const validity = verifySelfSignatures(key);
  const hash = sksPacketsHash(packets);
  return {
    fpr: key.fingerprint,
    version: key.version,
    hash,
    packets: joinPackets(packets),
    created: key.primary.body.length >= 5 ? key.primary.body.readUInt32BE(1) : 0,
    validity,
    terms: keyTerms(key, validity),
    servedUserId: hasServedUserId(key, validity),
    views: policyViews(key, packets, hash, policies),
  };
}

const versionsCache = new WeakMap<readonly ReconPolicyName[], number[]>();

/** storedVersions(policies), once per policies array (a worker prepares every key with one). */
function versionsOf(policies: readonly ReconPolicyName[]): number[] {
  let v = versionsCache.get(policies);
  if (!v) {
    v = storedVersions(policies);
    versionsCache.set(policies, v);
  }
  return v;
}

/**
 * Prepare one key from its packets; a key that cannot be stored becomes a Rejection. The cheap
 * limits come before any signature is checked, the time budget (if any) covers every check,
 * the policy views' included (docs/operations.md §13).
 */
export function prepareKey(packets: readonly Packet[], opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS): PreparedKey | Rejection {
  try {
    const key = normalizeForStore(packets, opts);
    checkKeyShape(key, opts.shape ?? DEFAULT_KEY_SHAPE_LIMITS);
    if (opts.budgetMs !== undefined) setVerifyBudget(key, opts.budgetMs);
    try {
      const prepared = describeKey(key, opts.policies);
      // a policy view may have swallowed the budget's error: its verdicts are then incomplete
      const overBudget = verifyBudgetError(key);
      if (overBudget) throw overBudget;
      return prepared;
    } catch (e) {
      // whatever a check threw once the budget ran out, the budget is the reason
      throw verifyBudgetError(key) ?? e;
    }
  } catch (e) {
    return rejection(e, packets);
  }
}

/** One key's packets in the stored form under `opts` (normalizeKey): parse, filter, dedup, the size limits. */
export function normalizeForStore(packets: readonly Packet[], opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS): PublicKey {
  return normalizeKey(packets, versionsOf(opts.policies), opts.limits);
}

/** Prepare one key from its raw bytes (one key's packets, concatenated). */
export function prepareKeyBytes(bytes: Buffer, opts: PrepareOptions = DEFAULT_PREPARE_OPTIONS): PreparedKey | Rejection {
  try {
    return prepareKey(splitPackets(bytes, opts.packetLimits), opts);
  } catch (e) {
    return rejection(e);
  }
}
