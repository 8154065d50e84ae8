/**
 * @dkeyserv/pgp — OpenPGP bytes for dkeyserv.
 *
 * Armor, packet framing, key structure, fingerprints, the SKS key hash, SKS-compatible
 * dedup/merge, the recon policy's normalisation, and self-signature verification.
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
export * from './errors';
export * from './packet';
export * from './fingerprint';
export * from './key';
export * from './keyring';
export * from './signature';
export * from './verify';
export * from './armor';
export * from './skshash';
export * from './merge';
export * from './revocations';
export * from './policies/sks';
export * from './policies';
export * from './uid';
export * from './keyinfo';
