/**
 * @dkeyserv/quorum — signed quorum attestations for dkeyserv (docs/quorum.md).
 *
 * The public face (everything else in `src/` is internal; errors are `QuorumError`s):
 *
 * - `loadOrCreateIdentity`, `NodeIdentity`: the node's Ed25519 key in `DATA/node-key.pem` (0600);
 *   the node id is the raw public key, shown as base64 (docs/quorum.md §3);
 * - `parsePolicy`, `QuorumPolicy`, `threshold`: the peer set from the `[quorum]` configuration
 *   table, k = ⌊2n/3⌋ + 1, and the policy hash (addresses excluded; docs/quorum.md §2);
 * - `encodeStatement`, `decodeStatement`, `signStatement`, `verifyAttestation`, `attestationId`:
 *   the canonical `dkeyserv/attest/v1` statement and its Ed25519 signature (docs/quorum.md §4);
 * - `AttestationStore`: attestations in the key store's LMDB environment, monotonic per member,
 *   equivocation kept as evidence, drops counted, the accepted view (`accepted`, `pending`;
 *   docs/quorum.md §6, §8); `AcceptedVersions`: what HKP serves of a key in quorum mode;
 * - `attachAttestor`, `attestStored`: attest every validated key version inside its ingest
 *   transaction, and the keys stored before (docs/quorum.md §5);
 * - `makeProof`, `proofToJson`, `parseProof`, `verifyProof`: the offline proof for clients
 *   (docs/quorum.md §11).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs';
 * import { KeyStore } from '@dkeyserv/db';
 * import { isKeyringError, splitKeyring } from '@dkeyserv/pgp';
 * import { AttestationStore, attachAttestor, loadOrCreateIdentity, makeProof, QuorumPolicy, verifyProof } from '@dkeyserv/quorum';
 *
 * const data = '/tmp/dkeyserv-quorum-example';
 * const identity = loadOrCreateIdentity(data); // DATA/node-key.pem on first start
 * const policy = new QuorumPolicy({ name: 'solo', version: 1, members: [{ name: 'me', key: identity.id }] }); // k = 1
 * const keys = KeyStore.open({ path: data });
 * const attestations = AttestationStore.open(keys, policy);
 * attachAttestor(keys, attestations, identity, policy); // every ingest now attests, in its transaction
 * for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
 *   if (!isKeyringError(e)) keys.ingest(e.packets);
 * }
 * for (const record of keys.records()) {
 *   const version = attestations.accepted(record.fpr)!;
 *   console.log(verifyProof(record.packets, makeProof(policy, version), policy)); // { ok: true, members: ['me'] }
 * }
 * ```
 */
export { QuorumError, IdentityError, PolicyError, MalformedError } from './errors';
export { NodeIdentity, loadOrCreateIdentity } from './identity';
export { QuorumPolicy, parsePolicy, policyDocument, threshold, type PolicyDefinition, type PolicyMember } from './policy';
export { keyVersionDigests, packetsSha256, type KeyVersionDigests } from './key-digest';
export { attestationId, decodeAttestation, decodeStatement, encodeAttestation, encodeStatement, signStatement, verifyAttestation } from './statement';
export type { Attestation, DropReason, StatementFields, UnsignedStatement, Verification } from './statement';
export { AttestationStore, type AddResult, type AttestationSetListener, type Evidence, type KeyVersion } from './store';
export { attachAttestor, attestStored } from './attest-hook';
export { makeProof, parseProof, proofToJson, verifyProof, type ProofFailure, type ProofVerdict, type QuorumProof, type QuorumProofJson } from './proof';
export { AcceptedVersions, type QuorumKeyStatus } from './served';
