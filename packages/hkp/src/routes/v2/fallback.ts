/**
 * Every `/pks/v2/` request no other v2 row takes (docs/hkp.md §12): a category not offered is
 * 501 (draft §4.2); an offered lookup category without an identifier is 403 (draft §5.1.7); an
 * offered category asked with a method it does not take is 405 with `Allow`.
 */
import { HttpError } from '../../errors';
import { PathHandler } from '../handler';
import { categoryOf } from './categories';

export const v2Fallback: PathHandler = (ctx, _env, [rest]) => {
  const path = (rest ?? '').replace(/\/+$/, '');
  const found = categoryOf(path);
  if (!found) throw new HttpError(501, `HKP v2 category not offered here: ${JSON.stringify(path.slice(0, 64))}`);
  const { category, identifier } = found;
  const lookup = category.allow.startsWith('GET');
  if (lookup && (ctx.method === 'GET' || ctx.method === 'HEAD') && identifier === '') {
    throw new HttpError(403, `name what to look up: /pks/v2/${category.name}/<identifier>`);
  }
  throw new HttpError(405, `use ${category.allow.split(', ')[0]} for /pks/v2/${category.name}`, { Allow: category.allow });
};
