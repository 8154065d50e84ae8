/** Any other `/vks/` request (docs/hkp.md §13): 400, as Hagrid's nginx answers. */
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';

export const vksFallback: PathHandler = (ctx) => {
  throw new HttpError(400, `not a VKS v1 call: ${ctx.method} ${ctx.path.slice(0, 96)} (use by-fingerprint, by-keyid, by-email, upload)`);
};
