/**
 * Self-revocations on top of an older version of a key (docs/quorum.md §9: a
 * self-signed revocation added to an accepted key is self-authenticating and served at once).
 * From a newer version of the same key take only the owner's revocations — key revocations
 * (0x20), certification revocations (0x30) on User IDs the base has, subkey revocations (0x28) on
 * subkeys the base has — and keep those that turn a component of the base from not revoked to
 * revoked under self-signature verification. Nothing else of the newer version is added.
 */
import { KeyComponent, PublicKey } from './key';
import { samePacket } from './packet';
import { isIssuedBy, peekSignatureType, SigType } from './signature';
import { KeyValidity, verifySelfSignatures } from './verify';

export interface RevokedVersion {
  key: PublicKey;
  validity: KeyValidity;
  /** how many components the added revocations revoke (0: `key` is the base itself) */
  revoked: number;
}

/** `base` plus the owner's valid revocations found in `newer` (same primary key). */
export function withSelfRevocations(base: PublicKey, baseValidity: KeyValidity, newer: PublicKey): RevokedVersion {
  const unchanged = { key: base, validity: baseValidity, revoked: 0 };
  if (!samePacket(base.primary, newer.primary)) return unchanged;
  const own = (type: number) => (sig: { body: Buffer }) => peekSignatureType(sig.body) === type && isIssuedBy(sig.body, base.keyId, base.fingerprint);
  let added = 0;
  /** `have` plus the owner's revocations of `type` in `sigs` it lacks */
  const plus = (have: PublicKey['directSigs'], sigs: PublicKey['directSigs'], type: number) => {
    const extra = sigs.filter(own(type)).filter((s) => !have.some((h) => samePacket(h, s)));
    added += extra.length;
    return extra.length ? [...have, ...extra] : have;
  };
  /** a base component with the revocations of the same component in `newer` added (unless already revoked) */
  const component = (c: KeyComponent, revoked: boolean | undefined, inNewer: KeyComponent[], type: number): KeyComponent => {
    const same = revoked ? undefined : inNewer.find((n) => samePacket(n.packet, c.packet));
    return same ? { ...c, sigs: plus(c.sigs, same.sigs, type) } : c;
  };
  const candidate: PublicKey = {
    ...base,
    directSigs: baseValidity.revoked ? base.directSigs : plus(base.directSigs, newer.directSigs, SigType.KeyRevocation),
    uids: base.uids.map((c, i) => component(c, baseValidity.uids[i]?.revoked, newer.uids, SigType.CertRevocation)),
    subkeys: base.subkeys.map((c, i) => component(c, baseValidity.subkeys[i]?.revoked, newer.subkeys, SigType.SubkeyRevocation)),
  };
  if (added === 0) return unchanged;
  const validity = verifySelfSignatures(candidate);
  // keep the additions only where they revoke: a revocation that does not verify is not served
  const newly = (now: boolean, before: boolean | undefined) => now && !before;
  const uids = validity.uids.map((v, i) => newly(v.revoked, baseValidity.uids[i]?.revoked));
  const subkeys = validity.subkeys.map((v, i) => newly(v.revoked, baseValidity.subkeys[i]?.revoked));
  const primary = newly(validity.revoked, baseValidity.revoked);
  const key: PublicKey = {
    ...base,
    directSigs: primary ? candidate.directSigs : base.directSigs,
    uids: candidate.uids.map((c, i) => (uids[i] ? c : base.uids[i])),
    subkeys: candidate.subkeys.map((c, i) => (subkeys[i] ? c : base.subkeys[i])),
  };
  const revoked = [primary, ...uids, ...subkeys].filter(Boolean).length;
  // (the revocations left out do not verify, so they change no verdict: `validity` stands)
  return revoked === 0 ? unchanged : { key, validity, revoked };
}
