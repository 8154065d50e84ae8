/**
 * `POST /pks/add` (docs/hkp.md §6): a `keytext` form or raw key material, read with the body
 * limits, split into keys and stored (add-keys.ts). 200 with a count line and one line per key
 * (an HTML page when `Accept` names `text/html`); 422 with the first rejection when nothing was
 * stored or found unchanged; 400 for an empty body.
 */
import { summarize, uploadKeys } from '../add-keys';
import { readBody } from '../body';
import { HttpError } from '../errors';
import * as web from '../web';
import { PathHandler } from './handler';
import { sendHtml } from './respond';

export const add: PathHandler = async (ctx, env) => {
  const wantsHtml = /text\/html/.test(ctx.get('Accept'));
  ctx.state.html = wantsHtml;
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  if (body.length === 0) throw new HttpError(400, 'empty body: send keytext=<armored key>');
  // an HKP worker has its primary store it: one write path (docs/operations.md §12)
  const type = ctx.get('Content-Type');
  const outcome = env.cluster ? await env.cluster.upload(type, body) : await uploadKeys(env.store, type, body, env.preparer);
  const summary = summarize(outcome);
  for (const r of outcome.results) env.metrics.keys.inc({ outcome: r.status });
  const c = summary.counts;
  if (c.new + c.updated + c.unchanged === 0) {
    const first = outcome.results.find((r) => r.status === 'rejected');
    throw new HttpError(422, first ? `no key stored: ${first.reason}: ${first.message}` : 'no key found in the body');
  }
  env.logger.info('keys added', { new: c.new, updated: c.updated, unchanged: c.unchanged, rejected: c.rejected, ip: ctx.ip });
  if (wantsHtml) return sendHtml(ctx, web.renderUploadResult(env.page, summary));
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected\n` + summary.lines.join('\n') + '\n';
};
