/**
 * `POST /pks/add` (docs/hkp.md §6): a `keytext` form or raw key material, read with the body
 * limits, split into keys and stored (add-keys.ts, through store-upload.ts). 200 with a count
 * line and one line per key; 422 with the first rejection when nothing was stored or found
 * unchanged; 400 for an empty body. When `Accept` names `text/html`, the answer is the upload
 * result page, a row per key, with the same status (a 422 page lists every key's reason).
 */
import { AddOutcome, summarize } from '../add-keys';
import { readBody } from '../body';
import { HttpError } from '../errors';
import * as web from '../web';
import { PathHandler } from './handler';
import { sendHtml } from './respond';
import { storeUpload } from './store-upload';

export const add: PathHandler = async (ctx, env) => {
  const wantsHtml = /text\/html/.test(ctx.get('Accept'));
  ctx.state.html = wantsHtml;
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  if (body.length === 0) throw new HttpError(400, 'empty body: send keytext=<armored key>');
  // an HKP worker has its primary store it: one write path (docs/operations.md §12)
  const outcome = await storeUpload(env, ctx.get('Content-Type'), body, ctx.ip);
  const summary = summarize(outcome);
  const c = summary.counts;
  const refused = c.new + c.updated + c.unchanged === 0;
  if (wantsHtml && outcome.results.length > 0) {
    if (refused) ctx.status = 422;
    return sendHtml(ctx, web.renderUploadResult(env.page, uploadSummary(outcome, c)));
  }
  if (refused) {
    const first = outcome.results.find((r) => r.status === 'rejected');
    throw new HttpError(422, first ? `no key stored: ${first.reason}: ${first.message}` : 'no key found in the body');
  }
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected\n` + summary.lines.join('\n') + '\n';
};

/** The upload result page's rows: each key's outcome, fingerprint (upper case) and reason. */
function uploadSummary(outcome: AddOutcome, counts: web.UploadSummary['counts']): web.UploadSummary {
  return {
    counts,
    keys: outcome.results.map((r) => ({ status: r.status, fingerprint: r.fpr?.toUpperCase(), reason: r.reason, message: r.message })),
  };
}
