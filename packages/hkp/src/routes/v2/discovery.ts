/**
 * `OPTIONS /pks/v2/<category>` (docs/hkp.md §12, draft §5.1.7, §5.2.6): an offered category
 * answers 200 with `Allow` (and, for a submission category, one `Accept` per media type taken),
 * also serving as the CORS preflight of a browser's `POST`; any other category is 501.
 */
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { categoryOf } from './categories';

export const discovery: PathHandler = (ctx, _env, [rest]) => {
  const path = (rest ?? '').replace(/\/+$/, '');
  const found = categoryOf(path);
  if (!found) throw new HttpError(501, `HKP v2 category not offered here: ${JSON.stringify(path.slice(0, 64))}`);
  const { category } = found;
  ctx.set('Allow', category.allow);
  ctx.set('Access-Control-Allow-Methods', category.allow);
  ctx.set('Access-Control-Allow-Headers', 'Content-Type');
  if (category.accept) ctx.set('Accept', [...category.accept]);
  ctx.status = 200;
  ctx.body = '';
};
