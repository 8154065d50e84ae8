/**
 * What every page shares: escaping, the page frame (header, navigation, footer), and the small
 * formatters for fingerprints, algorithms, dates and status badges.
 */
import { ALGO_NAMES } from '../model';

export interface PageContext {
  /** the server's name, shown in the header */
  nodename: string;
  version: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Text someone else wrote (a User ID, a search, a peer's software name), escaped and isolated in
 * `<bdi>`: its direction is its own, and a right-to-left override inside it cannot reorder the
 * page's text around it (docs/hkp.md §11).
 */
export function isolate(s: string): string {
  return `<bdi>${escapeHtml(s)}</bdi>`;
}

/** The same for plain text (a page title): between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE. */
export function isolateText(s: string): string {
  return `\u2068${s}\u2069`;
}

export function page(ctx: PageContext, title: string, body: string): string {
  const name = escapeHtml(ctx.nodename);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — ${name}</title>
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header><a class="brand" href="/">${name}</a>
<nav aria-label="Main"><a href="/">Search</a> <a href="/upload">Upload</a> <a href="/pks/lookup?op=stats">Statistics</a></nav></header>
<main>
${body}
</main>
<footer>OpenPGP keyserver · dkeyserv ${escapeHtml(ctx.version)}</footer>
</body>
</html>
`;
}

/** A fingerprint in blocks of four hex digits, which wrap on narrow screens. */
export function fingerprint(hex: string): string {
  return `<code class="fpr">${escapeHtml(hex.match(/.{1,4}/g)?.join(' ') ?? '')}</code>`;
}

/** "RSA 4096", "EdDSA 256"; the number alone for an unknown algorithm. */
export function algorithm(algo: number, bits: number): string {
  const name = ALGO_NAMES[algo] ?? `algorithm ${algo}`;
  return bits ? `${name} ${bits}` : name;
}

/** A day, from seconds since the epoch. */
export function day(seconds?: number): string {
  if (!seconds) return '';
  const iso = new Date(seconds * 1000).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)}</time>`;
}

/** A minute in UTC, from ms since the epoch or an ISO string. */
export function minute(t: number | string): string {
  const iso = new Date(t).toISOString();
  return `<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

export function badge(kind: 'revoked' | 'expired' | 'withheld' | 'valid', text: string = kind): string {
  return `<span class="badge ${kind}">${escapeHtml(text)}</span>`;
}

export const WITHHELD = 'withheld: no valid self-signature';

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function searchForm(value = ''): string {
  return `<form class="search" action="/pks/lookup" method="get" role="search">
<input type="hidden" name="op" value="index"><input type="hidden" name="fingerprint" value="on">
<label for="search">Search keys</label>
<div class="row"><input type="search" id="search" name="search" dir="auto" value="${escapeHtml(value)}" placeholder="e-mail, name or 0x key ID" required maxlength="512" autocomplete="off">
<button type="submit">Search</button></div>
</form>`;
}
