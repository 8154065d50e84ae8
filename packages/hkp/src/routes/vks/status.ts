/**
 * The JSON answer of a VKS upload and verification request (docs/hkp.md §13, Hagrid's API page):
 * `key_fpr` (upper-case hex), `status` per address of the key, and a `token`. This server sends
 * no verification mail: an address in a User ID its owner signed is `published` (found by
 * `by-email` at once, as on SKS), `revoked` when the owner revoked that User ID (still served, so
 * clients learn of it), `unpublished` when no valid self-signature carries it. The token is the
 * fingerprint; `request-verify` takes it back.
 */
import { KeyRecord } from '@dkeyserv/db';
import { keyView } from '../../model';
import { RouteEnv } from '../env';
import { fprHex } from '../served-keys';
import { uidAddress } from '../uid-address';

export type AddressStatus = 'published' | 'revoked' | 'unpublished';

export interface VksKeyAnswer {
  key_fpr: string;
  status: Record<string, AddressStatus>;
  token: string;
}

const RANK: Record<AddressStatus, number> = { unpublished: 0, revoked: 1, published: 2 };

export function keyAnswer(env: RouteEnv, record: KeyRecord): VksKeyAnswer {
  const status: Record<string, AddressStatus> = {};
  for (const u of keyView(env.store, record).uids) {
    const address = u.isAttribute ? undefined : uidAddress(u.text);
    if (!address) continue;
    const s: AddressStatus = !u.served ? 'unpublished' : u.revoked ? 'revoked' : 'published';
    if (!status[address] || RANK[s] > RANK[status[address]]) status[address] = s;
  }
  const fpr = fprHex(record);
  return { key_fpr: fpr, status, token: fpr };
}
