/**
 * Server-rendered web pages: search, results, key, upload, stats, errors. Plain HTML and one
 * stylesheet, readable on a phone; every dynamic string is escaped.
 */
import { KeyView } from '../model';
import { StatsView } from '../stats';

export interface PageContext {
  /** the server's name, shown in the header */
  nodename: string;
  version: string;
}

export interface UploadSummary {
  counts: { new: number; updated: number; unchanged: number; rejected: number };
  lines: string[];
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(ctx: PageContext, title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ${escapeHtml(ctx.nodename)}</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header><a href="/">${escapeHtml(ctx.nodename)}</a> <nav><a href="/">Search</a> <a href="/upload">Upload</a> <a href="/pks/lookup?op=stats">Stats</a></nav></header>
<main>${body}</main><footer>dkeyserv ${escapeHtml(ctx.version)}</footer></body></html>
`;
}

const searchForm = (value = '') =>
  `<form action="/pks/lookup" method="get"><input type="hidden" name="op" value="index"><input type="hidden" name="fingerprint" value="on">` +
  `<input type="search" name="search" value="${escapeHtml(value)}" placeholder="e-mail, name or 0x fingerprint" required aria-label="search"> <button type="submit">Search</button></form>`;

export function renderSearchPage(ctx: PageContext): string {
  return page(ctx, 'Search', `<h1>Search keys</h1>${searchForm()}`);
}

const date = (t?: number) => (t ? new Date(t * 1000).toISOString().slice(0, 10) : '');

export function renderIndexPage(ctx: PageContext, search: string, keys: readonly KeyView[]): string {
  const items = keys
    .map((k) => `<li><a href="/key/${k.fingerprint}">${k.fingerprint}</a> ${date(k.created)}<ul>${k.uids.filter((u) => u.valid && !u.isAttribute).map((u) => `<li>${escapeHtml(u.text)}</li>`).join('')}</ul></li>`)
    .join('');
  return page(ctx, `Search results for ${search}`, `${searchForm(search)}<h1>${keys.length} keys for “${escapeHtml(search)}”</h1><ul class="results">${items}</ul>`);
}

export function renderKeyPage(ctx: PageContext, key: KeyView, armored: string | undefined): string {
  const uids = key.uids.map((u) => `<li>${escapeHtml(u.text)}${u.valid ? '' : ' (not served: no valid self-signature)'}${u.revoked ? ' (revoked)' : ''}</li>`).join('');
  const subs = key.subkeys.map((s) => `<li>${s.fingerprint} ${date(s.created)}${s.valid ? '' : ' (not served)'}${s.revoked ? ' (revoked)' : ''}</li>`).join('');
  return page(
    ctx,
    `Key ${key.fingerprint}`,
    `<h1>Key ${key.fingerprint}</h1><p>created ${date(key.created)}${key.revoked ? ', revoked' : ''}${key.expired ? ', expired' : ''}</p>` +
      `<h2>User IDs</h2><ul>${uids}</ul><h2>Subkeys</h2><ul>${subs}</ul>` +
      (armored ? `<p><a href="/pks/lookup?op=get&amp;options=mr&amp;search=0x${key.fingerprint}" download="${key.fingerprint}.asc">Download</a></p><pre>${escapeHtml(armored)}</pre>` : '<p>Nothing of this key is served.</p>'),
  );
}

export function renderUploadPage(ctx: PageContext): string {
  return page(
    ctx,
    'Upload',
    `<h1>Upload a key</h1><form action="/pks/add" method="post"><textarea name="keytext" rows="12" required aria-label="armored key"></textarea><button type="submit">Upload</button></form>`,
  );
}

export function renderUploadResult(ctx: PageContext, summary: UploadSummary): string {
  const c = summary.counts;
  return page(ctx, 'Upload result', `<h1>Upload result</h1><p>${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected</p><ul>${summary.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`);
}

export function renderStatsPage(ctx: PageContext, stats: StatsView): string {
  return page(ctx, 'Statistics', `<h1>Statistics</h1><p>Total number of keys: ${stats.total}</p>`);
}

export function renderErrorPage(ctx: PageContext, status: number, message: string): string {
  return page(ctx, `Error ${status}`, `<h1>Error ${status}</h1><p>${escapeHtml(message)}</p>`);
}

export const STYLESHEET = `body{font-family:system-ui,sans-serif;margin:0;line-height:1.4}
header,footer{padding:.5rem 1rem;background:#eee}main{padding:1rem;max-width:60rem}
input[type=search]{width:min(30rem,90%)}textarea{width:100%}pre{overflow-x:auto}`;
