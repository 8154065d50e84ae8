/**
 * The HTML results of `op=vindex` (docs/hkp.md §11): the index page's keys with, under the key,
 * each served User ID and each served subkey, one line per signature, as SKS's verbose index
 * shows them — kind, issuer key ID (a link to its own vindex), creation, expiry, and `[selfsig]`
 * or the issuer's primary User ID when the issuer is stored here.
 */
import { SubkeyView, UidView, KeyView } from '../model';
import { algorithm, badge, day, fingerprint, isolate, PageContext, plural } from './layout';
import { keySummary, resultsPage } from './search';

export interface SigLine {
  /** SKS's name of the signature type: `sig`, `sig1`…`sig3`, `sbind`, `dirct`, `revok`, else `0x..` */
  kind: string;
  /** the issuer's 64-bit key ID, upper-case hex, when the signature names one */
  keyId?: string;
  /** seconds since the epoch */
  created?: number;
  /** when the signature expires, seconds since the epoch */
  expires?: number;
  /** when a self-signature says the key expires, seconds since the epoch */
  keyExpires?: number;
  /** issued by the key itself (by key ID, as SKS marks it; not a verification) */
  self: boolean;
  /** the issuer's primary User ID, when the issuer is stored here */
  issuerUid?: string;
}

/** The lines shown of one component's signatures, and how many more it has. */
export interface SigList {
  lines: SigLine[];
  more: number;
}

export interface VerboseKey {
  key: KeyView;
  /** signatures on the primary key itself (direct-key signatures, key revocations) */
  direct: SigList;
  uids: { uid: UidView; sigs: SigList }[];
  subkeys: { subkey: SubkeyView; sigs: SigList }[];
}

const NOTE = '<p class="note">Signatures are listed as the key carries them. Only the owner&#8217;s self-signatures were checked, to decide what is served; third-party signatures are not verified.</p>\n';

export function renderVindexPage(ctx: PageContext, search: string, keys: readonly VerboseKey[]): string {
  return resultsPage(ctx, search, keys.length, keys.map(verboseResult), keys.length ? NOTE : '');
}

function verboseResult(v: VerboseKey): string {
  const uids = v.uids.map(({ uid, sigs }) => `<li><span class="uid">${isolate(uid.text)}</span>${uid.revoked ? ' ' + badge('revoked') : ''}\n${sigList(sigs)}</li>`);
  const subkeys = v.subkeys.map(
    ({ subkey, sigs }) =>
      `<li>${subkey.fingerprint ? fingerprint(subkey.fingerprint) : '<em>unreadable subkey</em>'}${subkey.revoked ? ' ' + badge('revoked') : ''} <span class="meta">${algorithm(subkey.algo, subkey.bits)} · created ${day(subkey.created)}</span>\n${sigList(sigs)}</li>`,
  );
  return `<li class="key">
${keySummary(v.key)}
${v.direct.lines.length || v.direct.more ? sigList(v.direct) : ''}
<ul class="uids verbose">
${uids.join('\n')}
</ul>
${subkeys.length ? `<ul class="subkeys verbose">\n${subkeys.join('\n')}\n</ul>` : ''}
</li>`;
}

function sigList(s: SigList): string {
  const more = s.more ? `\n<li class="more">… and ${plural(s.more, 'more signature')} not shown</li>` : '';
  return `<ul class="sigs">\n${s.lines.map(sigLine).join('\n')}${more}\n</ul>`;
}

function sigLine(l: SigLine): string {
  const issuer = l.keyId ? `<a href="/pks/lookup?op=vindex&amp;search=0x${l.keyId}"><code>${l.keyId}</code></a>` : '<em>no issuer</em>';
  const times = [l.created ? day(l.created) : '', l.expires ? `expires ${day(l.expires)}` : '', l.keyExpires ? `key expires ${day(l.keyExpires)}` : ''].filter(Boolean).join(' · ');
  const who = l.self ? '<span class="selfsig">[selfsig]</span>' : l.issuerUid !== undefined ? isolate(l.issuerUid) : '';
  return `<li><code class="kind">${l.kind}</code> ${issuer}${times ? ' ' + times : ''}${who ? ' ' + who : ''}</li>`;
}
