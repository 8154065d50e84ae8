/** The statistics page (`/pks/lookup?op=stats`): who this server is and what it received lately. */
import { Bucket, QuorumStatsView, StatsView } from '../stats-view';
import { escapeHtml, isolate, minute, page, PageContext } from './layout';
import { takedownsTable } from './stats-takedowns';

export function renderStatsPage(ctx: PageContext, stats: StatsView): string {
  const identity: [string, string | undefined][] = [
    ['Hostname', stats.hostname],
    ['Nodename', stats.nodename],
    ['Software', stats.software],
    ['Version', stats.version],
    ['Contact', stats.contact],
    ['HTTP address', stats.httpAddr],
    ['Recon address', stats.reconAddr],
  ];
  return page(
    ctx,
    'Statistics',
    `<h1>Statistics</h1>
<table class="facts">
<caption>Server</caption>
${identity.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v ? isolate(v) : '—'}</td></tr>`).join('\n')}
</table>
<p class="total">Total number of keys: <strong>${stats.total}</strong></p>
${policiesTable(stats)}
${peersTable(stats)}
${stats.quorum ? quorumSection(stats.quorum) : ''}
${takedownsTable(stats.takedowns)}
<div class="histograms">
${histogram('Keys per hour, last 24 hours', stats.hourly)}
${histogram('Keys per day, last 7 days', stats.daily)}
</div>
<p class="meta">As of ${minute(stats.now)}. Also as JSON: <a href="/pks/lookup?op=stats&amp;options=mr">op=stats&amp;options=mr</a>.</p>`,
  );
}

/** The peer set, the keys waiting for their quorum, and misbehaviour seen (docs/quorum.md §10). */
function quorumSection(q: QuorumStatsView): string {
  const members = q.policy.members.map((m) => `<li>${escapeHtml(m.name)} <code>${escapeHtml(m.id)}</code>${m.id === q.nodeId ? ' (this node)' : ''}</li>`).join('\n');
  const pending = q.pending.length
    ? `<ul class="pending">\n${q.pending.map((p) => `<li><a href="/key/${p.fingerprint}"><code>${p.fingerprint}</code></a> version <code class="hash">${p.keyHash}</code>: ${p.members.map(escapeHtml).join(', ') || 'nobody'}</li>`).join('\n')}\n</ul>`
    : '<p>No recently changed key is waiting for its quorum.</p>';
  const evidence = q.evidence.length
    ? `<ul class="evidence">\n${q.evidence.map((e) => `<li>${escapeHtml(e.member ?? e.signer)} signed two conflicting statements about <code>${e.fingerprint}</code></li>`).join('\n')}\n</ul>`
    : '<p>No equivocation seen.</p>';
  const dropped = Object.entries(q.dropped).map(([r, n]) => `${escapeHtml(r)} ${n}`).join(', ');
  return `<h2>Quorum</h2>
<p>Policy <strong>${escapeHtml(q.policy.name)} v${q.policy.version}</strong> (<code class="hash">${q.policy.hash}</code>): ${q.policy.n} members, a version is served once ${q.policy.k} attested it. ${q.attestations} attestations held.</p>
<ul class="members">\n${members}\n</ul>
<h3>Pending</h3>
${pending}
<h3>Evidence</h3>
${evidence}
<p class="meta">Attestations dropped: ${dropped}.</p>`;
}

/** The recon policies this server keeps (docs/recon-policies.md) and how many keys each holds. */
function policiesTable(stats: StatsView): string {
  const rows = stats.reconPolicies.map((p) => `<tr><td>${escapeHtml(p.name)}</td><td>${p.keys}</td><td><code>${escapeHtml(p.filters)}</code></td></tr>`);
  return `<table class="histogram">
<caption>Recon policies</caption>
<thead><tr><th scope="col">Policy</th><th scope="col">Keys</th><th scope="col">Filters</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** Recon partners and how their last sessions went. */
function peersTable(stats: StatsView): string {
  if (stats.peers.length === 0) return '<p>No recon partners configured.</p>';
  const cell = (v?: string) => (v ? isolate(v) : '—');
  const rows = stats.peers.map(
    (p) =>
      `<tr><td>${isolate(p.name)}</td><td>${cell(p.software)}</td><td>${cell(p.policy)}</td><td>${cell(p.lastIncomingRecon)}</td><td>${cell(p.lastOutgoingRecon)}</td><td>${p.keysRecovered}</td><td>${p.keysNotConverging}</td><td>${cell(p.lastIncomingError ?? p.lastOutgoingError ?? p.lastRecoveryError)}</td></tr>`,
  );
  return `<table class="histogram">
<caption>Recon partners</caption>
<thead><tr><th scope="col">Partner</th><th scope="col">Software</th><th scope="col">Policy</th><th scope="col">Last recon in</th><th scope="col">Last recon out</th><th scope="col">Keys recovered</th><th scope="col">Not converging</th><th scope="col">Last error</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}

/** Buckets newest first, each labelled with the end of its window. */
function histogram(caption: string, buckets: readonly Bucket[]): string {
  const rows = buckets.map((b) => `<tr><td><time datetime="${escapeHtml(b.Time)}">${escapeHtml(b.Time.slice(0, 16).replace('T', ' '))}</time></td><td>${b.Inserted}</td><td>${b.Updated}</td></tr>`);
  return `<table class="histogram">
<caption>${caption}</caption>
<thead><tr><th scope="col">Up to (UTC)</th><th scope="col">Inserted</th><th scope="col">Updated</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>`;
}
