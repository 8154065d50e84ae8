/**
 * What a User ID says for lookups: its text, the e-mail address in it, its search words.
 * HKP searches by exact e-mail and by words of the UID (docs/hkp.md §3).
 */

/** Longest e-mail / word we index (LMDB keys are bounded; real ones are far shorter). */
const MAX_TERM = 200;
const MAX_WORDS = 64;

/** The UID text, decoded as UTF-8 (invalid bytes become U+FFFD). */
export function uidText(body: Buffer): string {
  return body.toString('utf8');
}

/** Lower-cased e-mail address: the last `<...>` with an '@', or the whole UID if it is an address. */
export function uidEmail(text: string): string | undefined {
  const m = /<([^<>\s]+@[^<>\s]+)>\s*$/.exec(text) ?? /<([^<>\s]+@[^<>\s]+)>/.exec(text);
  let email = m?.[1];
  if (!email && /^[^\s<>@]+@[^\s<>@]+$/.test(text.trim())) email = text.trim();
  if (!email) return undefined;
  email = email.toLowerCase();
  return Buffer.byteLength(email) <= MAX_TERM ? email : undefined;
}

/** Lower-cased words (letters and digits) of a UID, each at least 2 characters, deduplicated. */
export function uidWords(text: string): string[] {
  const words = new Set<string>();
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (w.length >= 2 && Buffer.byteLength(w) <= MAX_TERM) words.add(w);
    if (words.size >= MAX_WORDS) break;
  }
  return [...words];
}
