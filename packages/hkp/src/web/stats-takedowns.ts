/** The block list on the statistics page (docs/operations.md §14): the keys taken down, with why. */
import { StatsView } from '../stats-view';
import { escapeHtml } from './layout';

export function takedownsTable(t: StatsView['takedowns']): string {
  if (t.count === 0) return '<p>No keys taken down.</p>';
  const rows = t.keys.map(
    (k) => `<tr><td><code>${escapeHtml(k.fingerprint)}</code></td><td>${escapeHtml(k.since.slice(0, 16).replace('T', ' '))}</td><td>${escapeHtml(k.source)}</td><td>${escapeHtml(k.reason)}</td></tr>`,
  );
  const more = t.count > t.keys.length ? `\n<p class="meta">… and ${t.count - t.keys.length} more (<code>dkeyserv delete --list</code>).</p>` : '';
  return `<table class="histogram">
<caption>Keys taken down (${t.count})</caption>
<thead><tr><th scope="col">Fingerprint</th><th scope="col">Since (UTC)</th><th scope="col">By</th><th scope="col">Reason</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>${more}`;
}
