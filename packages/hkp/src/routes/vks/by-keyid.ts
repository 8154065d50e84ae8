/**
 * `GET /vks/v1/by-keyid/<KEYID>` (docs/hkp.md §13): the key whose primary key or subkey has
 * this 64-bit key ID (16 hex digits), armored (armored.ts). Malformed: 400.
 */
import { PathHandler } from '../handler';
import { hexIdentifier, sendArmored } from './armored';

export const vksByKeyId: PathHandler = (ctx, env, [raw]) => {
  const keyId = hexIdentifier(raw, [16], 'key ID');
  sendArmored(ctx, env, { kind: 'kid64', value: keyId }, `key ID ${keyId.toString('hex').toUpperCase()}`);
};
