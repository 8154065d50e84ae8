/** The upload form (`/upload`) and the page `POST /pks/add` answers a browser with. */
import { escapeHtml, fingerprint, isolate, page, PageContext, plural } from './layout';

/** What happened to one key of an upload. */
export interface UploadedKey {
  status: 'new' | 'updated' | 'unchanged' | 'rejected';
  /** upper-case hex, when the key (or the revocation's key) was identified */
  fingerprint?: string;
  /** a rejection's short reason (`secret-key`, `no-valid-uid`, …) and its one-line message */
  reason?: string;
  message?: string;
}

export interface UploadSummary {
  counts: { new: number; updated: number; unchanged: number; rejected: number };
  keys: UploadedKey[];
}

export function renderUploadPage(ctx: PageContext): string {
  return page(
    ctx,
    'Upload',
    `<h1>Upload a key</h1>
<form class="upload" action="/pks/add" method="post">
<label for="keytext">Armored public key</label>
<textarea id="keytext" name="keytext" rows="14" required spellcheck="false" placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----" aria-describedby="upload-note"></textarea>
<p id="upload-note" class="note">Paste the output of <code>gpg --armor --export &lt;your key&gt;</code>. Only keys with valid self-signatures are served:
User IDs and subkeys without a valid self-signature are stored but withheld, and a key none of whose User IDs is validly self-signed is not served at all.
Secret keys are refused.</p>
<button type="submit">Upload</button>
</form>`,
  );
}

/**
 * The answer to a browser's upload: the counts and a row per key, what happened to it, its
 * fingerprint linking its key page when it is stored, and a refused key's reason. The same page
 * (with status 422) when every key was refused (docs/hkp.md §6).
 */
export function renderUploadResult(ctx: PageContext, summary: UploadSummary): string {
  const c = summary.counts;
  const stored = c.new + c.updated + c.unchanged;
  return page(
    ctx,
    'Upload result',
    `<h1>Upload result</h1>
${stored ? '' : `<p class="notice">No key was stored: ${summary.keys.length ? 'every key was refused.' : 'the upload held no key.'}</p>\n`}<p class="counts">${plural(summary.keys.length, 'key')} received: <strong>${c.new} new</strong>, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected</p>
<table class="upload-keys">
<thead><tr><th scope="col">Outcome</th><th scope="col">Key</th><th scope="col">Details</th></tr></thead>
<tbody>
${summary.keys.map(row).join('\n')}
</tbody>
</table>
<p><a href="/upload">Upload another key</a> · <a href="/">Search</a></p>`,
  );
}

const DETAILS: Record<Exclude<UploadedKey['status'], 'rejected'>, string> = {
  new: 'stored: this server did not have it',
  updated: 'merged: the stored key gained packets',
  unchanged: 'this server already had all of it',
};

/** A stored key's fingerprint links its page; a refused one is shown with its reason, as written. */
function row(k: UploadedKey): string {
  const fpr = k.fingerprint ? fingerprint(k.fingerprint) : '<span class="meta">not identified</span>';
  if (k.status !== 'rejected') return `<tr><td>${k.status}</td><td>${k.fingerprint && /^([0-9A-F]{40}|[0-9A-F]{64})$/.test(k.fingerprint) ? `<a href="/key/${k.fingerprint}">${fpr}</a>` : fpr}</td><td>${DETAILS[k.status]}</td></tr>`;
  return `<tr class="rejected"><td>rejected</td><td>${fpr}</td><td><code>${escapeHtml(k.reason ?? 'refused')}</code>: ${isolate(k.message ?? '')}</td></tr>`;
}
