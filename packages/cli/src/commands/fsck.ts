/** `dkeyserv fsck`: report of the store's consistency, as lines of text. */
import { FsckReport } from '@dkeyserv/db';

export function formatFsck(r: FsckReport): string {
  const lines = [`fsck: ${r.keys} keys, ${r.hashes} hashes, ${r.indexEntries} index entries: ${r.problemCount === 0 ? 'consistent' : `${r.problemCount} problems`}`];
  for (const p of r.problems) lines.push(`  ${p.subject}: ${p.what}`);
  if (r.problemCount > r.problems.length) lines.push(`  … and ${r.problemCount - r.problems.length} more`);
  return lines.join('\n') + '\n';
}
