/**
 * Self-revocations on top of an older version of a key (DESIGN.md §6 "Accepted view": a
 * self-signed revocation added to an accepted key is self-authenticating and served at once).
 * From a newer version of the same key take only the owner's revocations — key revocations
 * (0x20), certification revocations (0x30) on User IDs the base has, subkey revocations (0x28) on
 * subkeys the base has — and keep those that turn a component of the base from not revoked to
 * revoked under self-signature verification. Nothing else of the newer version is added.
 */
import { flattenKey, PublicKey } from './key';
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
  const extra = (sigs: PublicKey['directSigs'], have: PublicKey['directSigs'], type: number) => sigs.filter(own(type)).filter((s) => !have.some((h) => samePacket(h, s)));
  const candidate: PublicKey = {
    ...base,
    directSigs: baseValidity.revoked ? base.directSigs : [...base.directSigs, ...extra(newer.directSigs, base.directSigs, SigType.KeyRevocation)],
    uids: base.uids.map((c, i) => {
      if (baseValidity.uids[i]?.revoked) return c;
      const same = newer.uids.find((n) => samePacket(n.packet, c.packet));
      return same ? { ...c, sigs: [...c.sigs, ...extra(same.sigs, c.sigs, SigType.CertRevocation)] } : c;
    }),
    subkeys: base.subkeys.map((c, i) => {
      if (baseValidity.subkeys[i]?.revoked) return c;
      const same = newer.subkeys.find((n) => samePacket(n.packet, c.packet));
      return same ? { ...c, sigs: [...c.sigs, ...extra(same.sigs, c.sigs, SigType.SubkeyRevocation)] } : c;
    }),
  };
  if (flattenKey(candidate).length === flattenKey(base).length) return unchanged;
  const validity = verifySelfSignatures(candidate);
  // keep the additions only where they revoke: a revocation that does not verify is not served
  const key: PublicKey = {
    ...base,
    directSigs: validity.revoked && !baseValidity.revoked ? candidate.directSigs : base.directSigs,
    uids: candidate.uids.map((c, i) => (validity.uids[i].revoked && !baseValidity.uids[i]?.revoked ? c : base.uids[i])),
    subkeys: candidate.subkeys.map((c, i) => (validity.subkeys[i].revoked && !baseValidity.subkeys[i]?.revoked ? c : base.subkeys[i])),
  };
  const revoked =
    Number(validity.revoked && !baseValidity.revoked) +
    validity.uids.filter((v, i) => v.revoked && !baseValidity.uids[i]?.revoked).length +
    validity.subkeys.filter((v, i) => v.revoked && !baseValidity.subkeys[i]?.revoked).length;
  // (the revocations left out do not verify, so they change no verdict: `validity` stands)
  return revoked === 0 ? unchanged : { key, validity, revoked };
}
