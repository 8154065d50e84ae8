/**
 * @dkeyserv/quorum — signed quorum attestations for dkeyserv (DESIGN.md §6).
 *
 * - `loadOrCreateIdentity`, `NodeIdentity`: the node's Ed25519 key in `DATA/node-key.pem` (0600);
 *   the node id is the raw public key, shown as base64;
 * - `parsePolicy`, `QuorumPolicy`, `threshold`: the peer set from the `[quorum]` configuration
 *   table, k = ⌊2n/3⌋ + 1, and the policy hash (addresses excluded);
 * - `encodeStatement`, `decodeStatement`, `signStatement`, `verifyAttestation`, `attestationId`:
 *   the canonical `dkeyserv/attest/v1` statement and its Ed25519 signature;
 * - `AttestationStore`: attestations in the key store's LMDB environment, monotonic per member,
 *   equivocation kept as evidence, drops counted, the accepted view (`accepted`, `pending`);
 * - `attachAttestor`: attest every validated key version inside its ingest transaction;
 * - `makeProof`, `proofToJson`, `parseProof`, `verifyProof`: the offline proof for clients.
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
export * from './errors';
export * from './ed25519';
export * from './identity';
export * from './policy';
export * from './key-digest';
export * from './statement';
export * from './store';
export * from './attest-hook';
export * from './proof';
export * from './served';
