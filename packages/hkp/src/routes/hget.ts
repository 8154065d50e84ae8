/**
 * `GET /pks/lookup?op=hget&search=<32 hex>` (and SKS's alias `x-hget`, docs/hkp.md §4): the key
 * with that SKS key hash of any kept recon policy, armored as for `get`. Outside quorum mode a hash
 * of a policy view that leaves packets out answers with that view, so the hash can be checked
 * against it (docs/recon-policies.md); otherwise the served form. Unknown hash: 404; a hash of a
 * taken-down key: 410 with the reason (gone.ts).
 */
import { HttpError } from '../errors';
import { goneByHash } from './gone';
import { OpHandler } from './handler';
import { armoredKeys, sendResponse } from './respond';

export const hgetOp: OpHandler = (ctx, env, q) => {
  const search = q.search ?? '';
  if (!/^[0-9a-fA-F]{32}$/.test(search)) throw new HttpError(400, 'hget takes search=<32 hex digits of an SKS key hash>');
  const hash = Buffer.from(search, 'hex');
  const found = env.store.getByHash(hash);
  const partial = found && !env.quorum && found.record.views?.[found.policy]?.drop?.length;
  const bytes = partial ? env.store.viewPackets(found.record, found.policy) : env.present(found?.record);
  if (!bytes) throw goneByHash(env, hash, new HttpError(404, `no key with hash ${search.toLowerCase()}`));
  sendResponse(ctx, armoredKeys([bytes], search.toLowerCase()));
};
