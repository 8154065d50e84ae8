/**
 * Self-signature verification of a transferable public key (RFC 9580 §10.1, §5.2.1): which User
 * IDs and subkeys the primary key certified or bound, and which it revoked.
 *
 * Only signatures issued by the primary key are self-signatures; third-party certifications are
 * skipped on their issuer alone, without any cryptography. The primary's KeyObject is built once,
 * on the first self-signature that needs it, and every public-key operation goes through the key's
 * VerifyMemo (memo.ts), which the Hockeypuck views share. Nothing here throws on hostile input: a signature
 * that cannot be parsed or checked simply does not count.
 *
 * The walk over the signatures is written once, as a generator that yields each public-key
 * operation; verifySelfSignatures runs them inline, verifySelfSignaturesAsync on libuv's pool.
 */
import { LimitError, PgpError } from '../errors';
import { PublicKey } from '../key';
import { Packet, Tag } from '../packet';
import { isIssuedBy, parseSignature, peekSignatureType, Signature, SigType } from '../signature';
import { signedData } from './hashed-data';
import { VerifyMemo, verifyMemo } from './memo';
import { UnsupportedAlgorithmError, VerifyingKey } from './pubkey';
import { isVerifiable, prepareVerification, PublicKeyOperation, VerifyResult } from './verify';

export interface ComponentValidity {
  valid: boolean;
  revoked: boolean;
  /** creation time of the newest valid binding self-signature (seconds since the epoch) */
  created?: number;
  /** key expiration from that signature: seconds after the key's creation (absent: never) */
  keyExpires?: number;
}

/**
 * Whether the key's owner signed this UID or subkey: a valid certification/binding, or a valid
 * self-revocation (a revoked UID is still the owner's statement, and clients must learn of the
 * revocation). Only such components are served and indexed.
 */
export function ownerSigned(c: ComponentValidity | undefined): boolean {
  return c !== undefined && (c.valid || c.revoked);
}

/** Whether anything of the key is served: a User ID (not an attribute) its owner signed. */
export function hasServedUserId(key: PublicKey, validity: KeyValidity): boolean {
  return key.uids.some((c, i) => c.packet.tag === Tag.UserId && ownerSigned(validity.uids[i]));
}

export interface KeyValidity {
  /** the primary key carries a valid self key-revocation (0x20) */
  revoked: boolean;
  /** per key.uids index: valid = at least one certification self-signature (0x10–0x13 by the primary) verifies; revoked = a valid 0x30 by the primary */
  uids: ComponentValidity[];
  /** per key.subkeys index: valid = at least one subkey binding (0x18 by the primary) verifies; revoked = a valid 0x28 */
  subkeys: ComponentValidity[];
  /** count of self-signatures that could not be checked (unsupported algorithm or hash) */
  unsupported: number;
}

/**
 * Check the self-signatures of `key`, inline. Malformed signatures or key material simply do not
 * count; only a key with more than MAX_FAILED_CHECKS failing self-signatures throws (LimitError).
 */
export function verifySelfSignatures(key: PublicKey): KeyValidity {
  const checker = new SelfSigChecker(key);
  const memo = verifyMemo(key);
  return {
    revoked: drive(memo, checker.component(key.directSigs, undefined, NEVER, SigType.KeyRevocation)).revoked,
    uids: key.uids.map((c) => drive(memo, checker.component(c.sigs, c.packet, isUidCertification, SigType.CertRevocation))),
    subkeys: key.subkeys.map((c) => drive(memo, checker.component(c.sigs, c.packet, isSubkeyBinding, SigType.SubkeyRevocation))),
    // read last: the calls above count it
    unsupported: checker.unsupported,
  };
}

/**
 * The same verdicts as {@link verifySelfSignatures}, with the public-key operations run on libuv's
 * thread pool: the components of a key are checked concurrently (each still in order, stopping at
 * its first valid signature), and callers may run several keys at once to use every core.
 */
export async function verifySelfSignaturesAsync(key: PublicKey): Promise<KeyValidity> {
  const checker = new SelfSigChecker(key);
  const memo = verifyMemo(key);
  const [direct, uids, subkeys] = await Promise.all([
    driveAsync(memo, checker.component(key.directSigs, undefined, NEVER, SigType.KeyRevocation)),
    Promise.all(key.uids.map((c) => driveAsync(memo, checker.component(c.sigs, c.packet, isUidCertification, SigType.CertRevocation)))),
    Promise.all(key.subkeys.map((c) => driveAsync(memo, checker.component(c.sigs, c.packet, isSubkeyBinding, SigType.SubkeyRevocation)))),
  ]);
  return { revoked: direct.revoked, uids, subkeys, unsupported: checker.unsupported };
}

/**
 * Give the public-key work on `key` (this object: its self-signatures and every policy view of
 * it) `ms` milliseconds from now; past that each check throws LimitError `too-expensive`
 * (docs/operations.md §13).
 */
export function setVerifyBudget(key: PublicKey, ms: number): void {
  verifyMemo(key).setBudget(ms);
}

/** The error of a check on `key` refused for its budget (even if a consumer swallowed it), if any. */
export function verifyBudgetError(key: PublicKey): LimitError | undefined {
  return verifyMemo(key).overBudget;
}

/** A component's checks: yields each public-key operation, resumed with its outcome. */
type Checks = Generator<PublicKeyOperation, ComponentValidity, boolean>;

function drive(memo: VerifyMemo, checks: Checks): ComponentValidity {
  let step = checks.next();
  while (!step.done) step = checks.next(memo.run(step.value));
  return step.value;
}

async function driveAsync(memo: VerifyMemo, checks: Checks): Promise<ComponentValidity> {
  let step = checks.next();
  while (!step.done) step = checks.next(await memo.runAsync(step.value));
  return step.value;
}

const NEVER = () => false;
const isUidCertification = (t: number) => t >= SigType.CertGeneric && t <= SigType.CertPositive;
const isSubkeyBinding = (t: number) => t === SigType.SubkeyBinding;

/** failed self-signature checks tolerated in one key (real keys have none or a handful) */
export const MAX_FAILED_CHECKS = 32;

class SelfSigChecker {
  unsupported = 0;
  private failures = 0;
  /** undefined until first needed; null when the primary cannot sign or its material is bad */
  private signer: VerifyingKey | null | undefined;
  private signerUnsupported = false;

  constructor(private readonly key: PublicKey) {}

  /**
   * One pass over the signatures following a component (or the primary): `valid` if a self-signature
   * whose type passes `isBinding` verifies, `revoked` if one of type `revocation` does. Stops checking
   * each kind at its first valid signature; every unsupported self-signature of either kind is counted.
   */
  *component(sigs: readonly Packet[], component: Packet | undefined, isBinding: (t: number) => boolean, revocation: number): Checks {
    const out: ComponentValidity = { valid: false, revoked: false };
    const bindings: Signature[] = [];
    const revocations: Signature[] = [];
    for (const packet of sigs) {
      const t = peekSignatureType(packet.body);
      const binding = isBinding(t);
      if (!binding && t !== revocation) continue;
      if (!isIssuedBy(packet.body, this.key.keyId, this.key.fingerprint)) continue;
      const sig = parse(packet.body);
      if (sig) (binding ? bindings : revocations).push(sig);
    }
    // newest first (RFC 9580 §5.2.3.10: the most recent self-signature is the one in force), so
    // the first that verifies also gives the component's creation and key-expiration times
    bindings.sort((a, b) => b.created - a.created);
    for (const [list, isBindingList] of [[bindings, true], [revocations, false]] as const) {
      for (const sig of list) {
        if (isBindingList ? out.valid : out.revoked) {
          if (!isVerifiable(sig)) this.unsupported++;
          continue;
        }
        const prepared = this.prepare(sig, component);
        const r = typeof prepared === 'string' ? prepared : (yield prepared) ? 'valid' : 'invalid';
        if (r === 'unsupported') this.unsupported++;
        else if (r === 'invalid') this.failed();
        else if (isBindingList) {
          out.valid = true;
          out.created = sig.created;
          if (sig.keyExpiration) out.keyExpires = sig.keyExpiration;
        } else out.revoked = true;
      }
    }
    return out;
  }

  /**
   * Each forged "self-signature" costs a public-key operation, and anyone can append thousands to
   * a key. Past a budget of failures the key is refused whole (never stored with a wrong verdict).
   */
  private failed() {
    if (++this.failures > MAX_FAILED_CHECKS) {
      throw new LimitError('too-many-bad-signatures', `more than ${MAX_FAILED_CHECKS} self-signatures of this key fail to verify`);
    }
  }

  private prepare(sig: Signature, component: Packet | undefined): VerifyResult | PublicKeyOperation {
    if (!isVerifiable(sig)) return 'unsupported';
    const signer = this.getSigner();
    if (!signer) return this.signerUnsupported ? 'unsupported' : 'invalid';
    let data: Buffer[];
    try {
      data = signedData(sig, this.key.primary.body, component);
    } catch (e) {
      if (e instanceof PgpError) return 'invalid';
      throw e;
    }
    return prepareVerification(signer, sig, data);
  }

  private getSigner(): VerifyingKey | null {
    if (this.signer === undefined) {
      try {
        this.signer = verifyMemo(this.key).signer(this.key.primary.body);
      } catch (e) {
        // the key's time budget ran out (memo.ts): the key is refused, not left without a signer
        if (!(e instanceof PgpError) || e.reason === 'too-expensive') throw e;
        this.signer = null;
        this.signerUnsupported = e instanceof UnsupportedAlgorithmError;
      }
    }
    return this.signer;
  }
}

function parse(body: Buffer): Signature | undefined {
  try {
    return parseSignature(body);
  } catch (e) {
    if (e instanceof PgpError) return undefined;
    throw e;
  }
}
