/**
 * The web pages (docs/hkp.md §11, rendered by web/): the search page `/`, the upload form
 * `/upload`, the stylesheet, and the key page `/key/<40 or 64 hex>`. The index results and stats
 * pages are answers of /pks/lookup (lookup-index.ts, stats.ts); the upload result, of add.ts.
 */
import { armor } from '@dkeyserv/pgp';
import { HttpError } from '../errors';
import { keyView } from '../model';
import { presentedBytes } from '../present';
import * as web from '../web';
import { PathHandler } from './handler';
import { sendHtml } from './respond';

/** `/key/<fingerprint>`; its capture group is the fingerprint. */
export const KEY_PAGE = /^\/key\/([0-9A-Fa-f]{40}|[0-9A-Fa-f]{64})$/;

export const searchPage: PathHandler = (ctx, env) => sendHtml(ctx, web.renderSearchPage(env.page));

export const uploadPage: PathHandler = (ctx, env) => sendHtml(ctx, web.renderUploadPage(env.page));

export const stylesheet: PathHandler = (ctx) => {
  ctx.type = 'text/css';
  ctx.set('Cache-Control', 'max-age=3600');
  ctx.body = web.STYLESHEET;
};

/** Everything stored about one key; in quorum mode a pending key shows its stored version, marked as not served. */
export const keyPage: PathHandler = (ctx, env, [fpr]) => {
  const record = env.store.get(Buffer.from(fpr, 'hex'));
  if (!record) throw new HttpError(404, `no key with fingerprint ${fpr.toUpperCase()}`);
  const shown = env.served(record);
  const bytes = shown && presentedBytes(env.store, shown);
  sendHtml(ctx, web.renderKeyPage(env.page, keyView(env.store, shown ?? record), bytes ? armor(bytes) : undefined, env.quorum?.keyStatus(record)));
};
