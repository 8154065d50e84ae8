/** The upload form (`/upload`) and the page `POST /pks/add` answers a browser with. */
import { fingerprint, isolate, page, PageContext, plural } from './layout';

export interface UploadSummary {
  counts: { new: number; updated: number; unchanged: number; rejected: number };
  /** one line per key: "new 0x<FPR>", "rejected 0x<FPR>: reason: message", … */
  lines: string[];
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

export function renderUploadResult(ctx: PageContext, summary: UploadSummary): string {
  const c = summary.counts;
  return page(
    ctx,
    'Upload result',
    `<h1>Upload result</h1>
<p class="counts">${plural(summary.lines.length, 'key')} received: <strong>${c.new} new</strong>, ${c.updated} updated, ${c.unchanged} unchanged, ${c.rejected} rejected</p>
<ul class="upload-lines">
${summary.lines.map(line).join('\n')}
</ul>
<p><a href="/upload">Upload another key</a> · <a href="/">Search</a></p>`,
  );
}

/** A stored key's line links to its key page; a rejected one is shown as it is. */
function line(l: string): string {
  const m = /^(new|updated|unchanged) 0x([0-9A-F]{40}|[0-9A-F]{64})$/.exec(l);
  if (!m) return `<li class="rejected">${isolate(l)}</li>`;
  return `<li>${m[1]}: <a href="/key/${m[2]}">${fingerprint(m[2])}</a></li>`;
}
