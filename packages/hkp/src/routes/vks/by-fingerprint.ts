/**
 * `GET /vks/v1/by-fingerprint/<FPR>` (docs/hkp.md §13): the key whose primary key or subkey has
 * this fingerprint, v4 (40 hex digits) or v6 (64), armored (armored.ts). Malformed: 400.
 */
import { PathHandler } from '../handler';
import { hexIdentifier, sendArmored } from './armored';

export const vksByFingerprint: PathHandler = (ctx, env, [raw]) => {
  const fpr = hexIdentifier(raw, [40, 64], 'fingerprint');
  sendArmored(ctx, env, { kind: 'fpr', value: fpr }, `fingerprint ${fpr.toString('hex').toUpperCase()}`);
};
