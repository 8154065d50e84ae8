/** The search page (`/`) and the HTML results of `op=index` / `op=vindex`. */
import { KeyView } from '../model';
import { algorithm, badge, day, fingerprint, isolate, isolateText, page, PageContext, plural, searchForm } from './layout';

export function renderSearchPage(ctx: PageContext): string {
  return page(
    ctx,
    'Search',
    `<h1>Search OpenPGP keys</h1>
${searchForm()}
<section aria-labelledby="what">
<h2 id="what">What you can search for</h2>
<ul class="hints">
<li>an <strong>e-mail address</strong>, exactly: <code>alice@example.org</code></li>
<li><strong>words of a name</strong>, all of which must appear in one key's User IDs: <code>Alice Example</code></li>
<li>a <strong>key ID or fingerprint</strong> with <code>0x</code>: 8 or 16 hex digits of a key ID, or the 40 (or 64) of a fingerprint, of a primary key or a subkey</li>
</ul>
<p>Have a key to publish? <a href="/upload">Upload it</a>.</p>
</section>`,
  );
}

export function renderIndexPage(ctx: PageContext, search: string, keys: readonly KeyView[]): string {
  return resultsPage(ctx, search, keys.length, keys.map(result));
}

/** A results page (`op=index`, `op=vindex`): the search form again, a count and one `<li>` per key. */
export function resultsPage(ctx: PageContext, search: string, count: number, items: readonly string[], note = ''): string {
  const heading = count ? `${plural(count, 'key')} found for “${isolate(search)}”` : `No key found for “${isolate(search)}”`;
  return page(ctx, `Search results for ${isolateText(search)}`, `${searchForm(search)}\n<h1>${heading}</h1>\n${note}<ol class="results">\n${items.join('\n')}\n</ol>`);
}

/** A key's first lines in the results: its fingerprint (linking its page), algorithm, creation, status. */
export function keySummary(k: KeyView): string {
  return `<p class="summary"><a href="/key/${k.fingerprint}">${fingerprint(k.fingerprint)}</a></p>
<p class="meta">${algorithm(k.algo, k.bits)} · created ${day(k.created)}${k.revoked ? ' ' + badge('revoked') : ''}${k.expired ? ' ' + badge('expired') : ''}</p>`;
}

function result(k: KeyView): string {
  const uids = k.uids
    .filter((u) => u.served && !u.isAttribute)
    .map((u) => `<li>${isolate(u.text)}${u.revoked ? ' ' + badge('revoked') : ''}</li>`)
    .join('');
  return `<li class="key">
${keySummary(k)}
<ul class="uids">${uids}</ul>
</li>`;
}
