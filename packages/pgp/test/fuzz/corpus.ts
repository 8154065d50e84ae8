/**
 * Valid inputs the pgp fuzz suites mutate: hand-built v4 and v6 keys (self-signed UIDs, a
 * subkey, a direct signature), a v3 key, a real key from test-fixtures, and their armored forms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { armor, dearmor, joinPackets } from '@dkeyserv/pgp';
import type { Packet } from '@dkeyserv/pgp';
import { makeV3Key } from '../../../../test-fixtures/keys';
import { encryptionSubkey, signature, signingKey, userId } from '../helpers/ed25519-keys';

/** A self-signed key: primary, a direct-key signature, two UIDs, an encryption subkey. */
export function builtKey(version: 4 | 6): Packet[] {
  const k = signingKey(version);
  const uid1 = userId(`Fuzz Key v${version} <fuzz${version}@example.org>`);
  const uid2 = userId('Second UID (comment) <second@example.org>');
  const sub = encryptionSubkey(version);
  return [
    k.packet,
    signature(k, k.packet, undefined, { type: 0x1f, keyFlags: 0x03 }),
    uid1,
    signature(k, k.packet, uid1, { type: 0x13, keyFlags: 0x03 }),
    uid2,
    signature(k, k.packet, uid2, { type: 0x10 }),
    sub,
    signature(k, k.packet, sub, { type: 0x18, keyFlags: 0x0c }),
  ];
}

const fixture = (name: string) => readFileSync(join(__dirname, '../../../../test-fixtures/vectors', name), 'utf8');

/** Binary keys (one key's packets each). */
export const KEYS: Buffer[] = [
  joinPackets(builtKey(4)),
  joinPackets(builtKey(6)),
  makeV3Key(),
  ...dearmor(fixture('sksdigest-gentoo-l1.asc')).map((b) => b.data),
  ...dearmor(fixture('sksdigest-cc5112bdce353cf4.asc')).map((b) => b.data),
];

/** A keyring: several keys back to back. */
export const KEYRING = Buffer.concat(KEYS);

/** Armored texts: our armor, the fixtures as they are (headers, CRC lines), two blocks in prose. */
export const ARMORED: string[] = [
  armor(KEYS[0]),
  armor(KEYS[1], 'PUBLIC KEY BLOCK', [['Comment', 'fuzz corpus']]),
  fixture('sksdigest-gentoo-l1.asc'),
  fixture('sksdigest-cc5112bdce353cf4.asc'),
  `Here are my keys:\r\n${armor(KEYS[2]).replace(/\n/g, '\r\n')}\r\nand\n${armor(KEYS[0])}bye\n`,
];

