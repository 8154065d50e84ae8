/** The key page (`/key/<fingerprint>`): everything stored about one key, and the served key. */
import { KeyView, SubkeyView, UidView } from '../model';
import { QuorumKeyView, QuorumVersionView } from '../stats-view';
import { uidAddress } from '../routes/uid-address';
import { algorithm, badge, day, escapeHtml, fingerprint, isolate, isolateText, minute, page, PageContext, plural, WITHHELD } from './layout';

export function renderKeyPage(ctx: PageContext, key: KeyView, armored: string | undefined, quorum?: QuorumKeyView): string {
  const primary = key.uids.find((u) => u.valid && !u.isAttribute && !u.revoked) ?? key.uids.find((u) => u.valid && !u.isAttribute);
  const sigs = key.uids.reduce((n, u) => n + u.signatures, 0);
  const urls = keyUrls(key);
  const download = escapeHtml(urls.v1 ?? urls.vks);
  const rows: [string, string][] = [
    ['Fingerprint', fingerprint(key.fingerprint)],
    ['Key ID', `<code>0x${key.keyId}</code>`],
    ['Algorithm', `${algorithm(key.algo, key.bits)} (v${key.version} key)`],
    ['Created', day(key.created)],
    ['Expires', key.expires ? day(key.expires) : 'never'],
    ['Status', status(key.revoked, key.expired)],
    ['User IDs', `${key.uids.filter((u) => u.served).length} of ${key.uids.length} served · ${plural(sigs, 'signature')} on them in all`],
    ['SKS hash', `<code class="hash">${key.hash}</code>`],
    ['First seen', minute(key.firstSeen)],
    ['Last modified', minute(key.modified)],
  ];
  return page(
    ctx,
    primary ? `${isolateText(primary.text)} (${key.keyId})` : `Key ${key.keyId}`,
    `<h1>${primary ? isolate(primary.text) : `Key 0x${key.keyId}`}</h1>
${armored ? `<p class="actions"><a class="button" href="${download}" download="${key.fingerprint}.asc">Download</a> <span class="meta">armored, as this server serves it</span></p>` : `<p class="notice">${quorum && !quorum.accepted ? 'Nothing of this key is served yet: no version of it has its quorum of attestations.' : 'Nothing of this key is served: none of its User IDs has a valid self-signature.'}</p>`}
<table class="facts">
${rows.map(([k, v]) => `<tr><th scope="row">${k}</th><td>${v}</td></tr>`).join('\n')}
</table>
<h2>User IDs</h2>
<ul class="uids">
${key.uids.map(uid).join('\n')}
</ul>
<h2>Subkeys</h2>
${key.subkeys.length ? `<ul class="subkeys">\n${key.subkeys.map(subkey).join('\n')}\n</ul>` : '<p>This key has no subkeys.</p>'}
${armored ? fetchSection(urls) : ''}
${quorum ? quorumSection(key.fingerprint, quorum) : ''}
${armored ? `<h2>Armored key</h2>\n<pre class="armor" aria-label="armored key">${escapeHtml(armored)}</pre>` : ''}`,
  );
}

/** Who vouched for the served version, and the versions still waiting (docs/quorum.md §10). */
function quorumSection(fpr: string, q: QuorumKeyView): string {
  const version = (v: QuorumVersionView) =>
    `<code class="hash">${v.keyHash}</code>: ${v.members.length} of ${q.n} (${v.members.map((m, i) => `${isolate(m)} at ${minute(v.attested[i])}`).join(', ') || 'none'})`;
  const accepted = q.accepted
    ? `<p>Served version ${version(q.accepted)}${q.accepted.quorumTime ? `, accepted ${minute(q.accepted.quorumTime)}` : ''}.${q.revocationsAdded ? ' The owner&#8217;s newer revocations are served with it.' : ''} <a href="/pks/lookup?op=x-quorum&amp;search=0x${fpr}">Proof</a> (check it with <code>dkeyserv verify-quorum</code>).</p>`
    : '<p>No version is accepted yet.</p>';
  const pending = q.pending.length ? `<p>Pending:</p>\n<ul class="pending">\n${q.pending.map((v) => `<li>${version(v)}</li>`).join('\n')}\n</ul>` : '';
  return `<h2>Quorum</h2>\n<p class="meta">Policy ${escapeHtml(q.policy)}: a version is served once ${q.k} of ${q.n} members attested it.</p>\n${accepted}\n${pending}`;
}

function status(revoked: boolean, expired: boolean): string {
  if (!revoked && !expired) return badge('valid');
  return [revoked ? badge('revoked') : '', expired ? badge('expired') : ''].filter(Boolean).join(' ');
}

/** A withheld UID is not shown at all: its text was never certified by the key's owner. */
function uid(u: UidView): string {
  const sigs = plural(u.signatures, 'signature');
  if (!u.served) return `<li class="withheld">${badge('withheld', WITHHELD)} <span class="meta">${sigs}</span></li>`;
  return `<li><span class="uid">${isolate(u.text)}</span>${u.revoked ? ' ' + badge('revoked') : ''}
<span class="meta">self-signed ${day(u.created)} · ${sigs}</span></li>`;
}

function subkey(s: SubkeyView): string {
  const expiry = s.expires ? `expires ${day(s.expires)}` : 'does not expire';
  const expired = s.expires !== undefined && s.expires * 1000 < Date.now();
  const badges = [s.served ? '' : badge('withheld', WITHHELD), s.revoked ? badge('revoked') : '', s.valid && expired ? badge('expired') : ''].filter(Boolean).join(' ');
  return `<li${s.served ? '' : ' class="withheld"'}>${s.fingerprint ? fingerprint(s.fingerprint) : '<em>unreadable subkey</em>'}${badges ? ' ' + badges : ''}
<span class="meta">${algorithm(s.algo, s.bits)} · created ${day(s.created)} · ${expiry}</span></li>`;
}

/** Where clients fetch this key: HKP v1, HKP v2, VKS, and the lookups by its e-mail addresses (docs/hkp.md §4, §12, §13). */
export interface KeyUrls {
  /** `op=get`: keys of version 4 and below only (v1 never serves v5+) */
  v1?: string;
  /** `/pks/v2/certs/by-vfingerprint/04|06/<FPR>`: v4 and v6 keys */
  v2?: string;
  vks: string;
  /** per distinct address of a served User ID: the v2 index and VKS by-email */
  addresses: { address: string; v2Index: string; vks: string }[];
}

export function keyUrls(key: KeyView): KeyUrls {
  const fpr = key.fingerprint;
  const addresses = [
    ...new Set(
      key.uids
        .filter((u) => u.served && !u.isAttribute)
        .map((u) => uidAddress(u.text))
        .filter((a): a is string => a !== undefined),
    ),
  ];
  return {
    v1: key.version <= 4 && fpr.length === 40 ? `/pks/lookup?op=get&options=mr&search=0x${fpr}` : undefined,
    v2: (key.version === 4 && fpr.length === 40) || (key.version === 6 && fpr.length === 64) ? `/pks/v2/certs/by-vfingerprint/0${key.version}/${fpr}` : undefined,
    vks: `/vks/v1/by-fingerprint/${fpr}`,
    addresses: addresses.map((a) => ({ address: a, v2Index: `/pks/v2/index/${encodeURIComponent(a)}`, vks: `/vks/v1/by-email/${encodeURIComponent(a)}` })),
  };
}

function fetchSection(u: KeyUrls): string {
  const link = (href: string, what: string) => `<li><a href="${escapeHtml(href)}">${what}</a></li>`;
  const byKey = [
    u.v1 ? link(u.v1, 'HKP <code>op=get</code> (armored)') : '<li class="meta">HKP v1 <code>op=get</code> does not serve keys of this version</li>',
    u.v2 ? link(u.v2, 'HKP v2 by versioned fingerprint (binary)') : '',
    link(u.vks, 'VKS by fingerprint (armored)'),
  ].filter(Boolean);
  const byAddress = u.addresses.map(
    (a) => `<li>${isolate(a.address)}: <a href="${escapeHtml(a.v2Index)}">HKP v2 index</a> · <a href="${escapeHtml(a.vks)}">VKS by e-mail</a></li>`,
  );
  return `<h2>Fetch this key</h2>
<ul class="fetch">
${byKey.join('\n')}
${byAddress.join('\n')}
</ul>`;
}
