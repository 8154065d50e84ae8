/**
 * Recon partners: from the config, from `--peer HOST:PORT`, or from an SKS `membership` file
 * (docs/recon.md §12: one `host port` per line, `#` comments, blank lines ignored, malformed lines
 * reported and skipped).
 */
import { readFileSync } from 'node:fs';
import type { ReconPolicyName } from '@dkeyserv/pgp';

export interface Partner {
  /** recon address */
  host: string;
  port: number;
  /** a label for logs and stats */
  name: string;
  /** pinned recon policy: our sessions with this partner use only this one (docs/recon-policies.md) */
  policy?: ReconPolicyName;
}

export interface MembershipFile {
  partners: Partner[];
  /** lines that could not be read, with their line numbers */
  skipped: string[];
}

export function parseMembership(text: string): MembershipFile {
  const partners: Partner[] = [];
  const skipped: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const m = /^(\S+)\s+(\d{1,5})$/.exec(line);
    const port = m ? Number(m[2]) : NaN;
    if (!m || port < 1 || port > 65535) skipped.push(`line ${i + 1}: ${raw.trim()}`);
    else partners.push({ host: m[1], port, name: `${m[1]}:${port}` });
  });
  return { partners, skipped };
}

export function readMembership(path: string): MembershipFile {
  return parseMembership(readFileSync(path, 'utf8'));
}
