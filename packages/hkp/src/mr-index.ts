/**
 * Machine-readable index, `op=index&options=mr` (docs/hkp.md §4, GnuPG doc/KEYSERVER):
 * `info:1:N`, then per key `pub:<FPR upper>:<algo>:<bits>:<created>:<expires>:<flags>` and one
 * `uid:<escaped>:<created>:<expires>:<flags>` per served UID. Flags `r` revoked, `e` expired.
 * UIDs escape `%`, `:`, control characters and every non-ASCII byte as %XX.
 */
import { KeyView } from './model';

export function escapeUid(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b === 0x25 || b === 0x3a || b < 0x20 || b >= 0x7f ? '%' + b.toString(16).toUpperCase().padStart(2, '0') : String.fromCharCode(b);
  }
  return out;
}

const t = (n: number | undefined) => (n ? String(n) : '');

export function mrIndex(keys: readonly KeyView[]): string {
  const lines = [`info:1:${keys.length}`];
  for (const k of keys) {
    const flags = (k.revoked ? 'r' : '') + (k.expired ? 'e' : '');
    lines.push(`pub:${k.fingerprint}:${k.algo}:${k.bits}:${k.created}:${t(k.expires)}:${flags}`);
    for (const u of k.uids) {
      if (!u.served || u.isAttribute) continue;
      lines.push(`uid:${escapeUid(u.text)}:${t(u.created)}::${u.revoked ? 'r' : ''}`);
    }
  }
  return lines.join('\n') + '\n';
}
