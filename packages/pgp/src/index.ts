/**
 * @dkeyserv/pgp — OpenPGP bytes for dkeyserv.
 *
 * The public face, by topic (everything else in `src/` is internal):
 * - armor and packets: `dearmor`, `armor`, `looksArmored`, `splitPackets`, `splitKeyring`,
 *   `encodePacket`, `joinPackets` (docs/sks-key-hash.md §2);
 * - keys: `parseKey`, `flattenKey`, `keyIdentity` (fingerprint and key ID), `publicKeyInfo`,
 *   the User ID helpers `uidText`, `uidEmail`, `uidWords` (docs/sks-key-hash.md §3);
 * - the stored form and the SKS key hash: `normalizeKey`, `mergeKeys`, `sksKeyHash`,
 *   `sksPacketsHash` (docs/sks-key-hash.md §1, §4–§6);
 * - the recon policies' views: `RECON_POLICIES`, `reconPolicy`, `policyForFilters`
 *   (docs/recon-policies.md);
 * - cheap limits before verification: `checkKeyShape` (docs/operations.md §13);
 * - self-signatures: `verifySelfSignatures` (with a time budget: `setVerifyBudget`), `ownerSigned`, `hasServedUserId`,
 *   `withSelfRevocations` (docs/sks-key-hash.md §7, docs/quorum.md §9);
 * - errors: every rejection is a `PgpError` with a short `reason`.
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { splitKeyring, isKeyringError, normalizeKey, sksKeyHash } from '@dkeyserv/pgp';
 * for (const entry of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
 *   if (isKeyringError(entry)) throw entry.error;
 *   const key = normalizeKey(entry.packets);
 *   console.log(key.fingerprint.toString('hex'), sksKeyHash(key).toString('hex'));
 * }
 * ```
 */
export { PgpError, ArmorError, PacketError, KeyStructureError, LimitError } from './errors';

// armor and packets
export { armor, crc24, dearmor, looksArmored, type ArmorBlock } from './armor';
export { DEFAULT_PACKET_LIMITS, encodePacket, joinPackets, readPacket, samePacket, splitPackets, Tag, type Packet, type PacketLimits } from './packet';
export { isKeyringError, splitKeyring, type KeyringEntry, type KeyringError } from './keyring';

// keys
export { flattenKey, packetCount, parseKey, type KeyComponent, type PublicKey } from './key';
export { checkKeyShape, DEFAULT_KEY_SHAPE_LIMITS, MAX_RSA_EXPONENT, type KeyShapeLimits } from './key-shape';
export { keyIdentity, type KeyIdentity } from './fingerprint';
export { publicKeyInfo, type PublicKeyInfo } from './keyinfo';
export { uidEmail, uidText, uidWords } from './uid';
export { parseSignature, peekSignatureType, SigType, type Signature, type SignatureMaterial } from './signature';

// the stored form, the SKS key hash and the recon policies
export { DEFAULT_KEY_LIMITS, normalizeKey, type KeyLimits } from './policies/sks';
export { mergeKeys } from './merge';
export { sksHashInput, sksKeyHash, sksPacketsHash } from './skshash';
export { DEFAULT_POLICIES, isExcluded, isReconPolicyName, policyForFilters, RECON_POLICIES, RECON_POLICY_NAMES, reconPolicy, storedVersions } from './policies';
export type { PolicyPackets, PolicyView, ReconPolicy, ReconPolicyName } from './policies';

// self-signatures
export { hasServedUserId, MAX_FAILED_CHECKS, ownerSigned, setVerifyBudget, verifyBudgetError, verifySelfSignatures, type ComponentValidity, type KeyValidity } from './verify';
export { withSelfRevocations, type RevokedVersion } from './revocations';
