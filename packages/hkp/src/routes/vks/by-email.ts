/**
 * `GET /vks/v1/by-email/<URI-encoded address>` (docs/hkp.md §13): every key with a User ID its
 * owner signed carrying exactly this address, case-insensitively (the e-mail index v1 searches;
 * Hagrid serves only addresses their owner verified by mail, docs/hkp.md §13 says what we serve
 * instead), armored (armored.ts). Not an address: 400.
 */
import { HttpError } from '../../errors';
import { MAX_SEARCH_LENGTH } from '../../search-term';
import { PathHandler } from '../handler';
import { sendArmored } from './armored';

export const vksByEmail: PathHandler = (ctx, env, [raw]) => {
  let address: string;
  try {
    address = decodeURIComponent(raw).trim();
  } catch {
    throw new HttpError(400, 'malformed address: not valid percent-encoded UTF-8');
  }
  if (address.length > MAX_SEARCH_LENGTH || !/^[^\s<>@]+@[^\s<>@]+$/.test(address)) throw new HttpError(400, 'malformed e-mail address');
  sendArmored(ctx, env, { kind: 'email', value: address.toLowerCase() }, `e-mail address ${address}`);
};
