/**
 * What a User ID says for lookups: its text, the e-mail address in it, its search words.
 * HKP searches by exact e-mail and by words of the UID (docs/hkp.md §3).
 *
 * Linear by construction (docs/architecture.md §8): a UID is attacker input of up to megabytes,
 * so the e-mail is found by hand-written scans that look at each character a bounded number of
 * times, never by a backtracking regular expression.
 */

/** Longest e-mail / word we index (LMDB keys are bounded; real ones are far shorter). */
const MAX_TERM = 200;
const MAX_WORDS = 64;

/** The UID text, decoded as UTF-8 (invalid bytes become U+FFFD). */
export function uidText(body: Buffer): string {
  return body.toString('utf8');
}

/**
 * Lower-cased e-mail address: the `<local@domain>` closing the UID (only white space after it),
 * else the first `<local@domain>` in it, else the whole UID (trimmed) if it is a bare address.
 * An address here is a run without `<`, `>` or white space holding an '@' that is neither its
 * first nor its last character; a bare address has exactly one '@'.
 */
export function uidEmail(text: string): string | undefined {
  let email = closingAddress(text) ?? firstAddress(text);
  if (email === undefined) {
    const t = text.trim();
    if (isBareAddress(t)) email = t;
  }
  if (!email) return undefined;
  email = email.toLowerCase();
  return Buffer.byteLength(email) <= MAX_TERM ? email : undefined;
}

/** Lower-cased words (letters and digits) of a UID, each at least 2 characters, deduplicated. */
export function uidWords(text: string): string[] {
  const words = new Set<string>();
  // A split on one character class: each position is tried once, no backtracking.
  for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (w.length >= 2 && Buffer.byteLength(w) <= MAX_TERM) words.add(w);
    if (words.size >= MAX_WORDS) break;
  }
  return [...words];
}

/** JavaScript's white space (`\s`, what `trim` removes), by UTF-16 code unit. */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** The characters of an address (`[^<>\s]`): not '<', not '>', not white space. */
function isAddressChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return c !== 0x3c && c !== 0x3e && !isSpace(c);
}

/** text[from, to) has an '@' with at least one character either side; reads only that range. */
function hasInnerAt(text: string, from: number, to: number): boolean {
  for (let i = from + 1; i < to - 1; i++) if (text.charCodeAt(i) === 0x40) return true;
  return false;
}

/** `<addr>` followed by nothing but white space: scanned backwards from the last '>'. */
function closingAddress(text: string): string | undefined {
  const end = text.trimEnd().length - 1; // the '>' if there is one
  if (end < 0 || text[end] !== '>') return undefined;
  let i = end - 1;
  while (i >= 0 && isAddressChar(text, i)) i--;
  if (i < 0 || text[i] !== '<') return undefined;
  return hasInnerAt(text, i + 1, end) ? text.slice(i + 1, end) : undefined;
}

/** The leftmost `<addr>`. Each '<' starts a scan that stops at the next '<', so each character is read once. */
function firstAddress(text: string): string | undefined {
  let lt = text.indexOf('<');
  while (lt >= 0) {
    let i = lt + 1;
    while (i < text.length && isAddressChar(text, i)) i++;
    if (i < text.length && text[i] === '>' && hasInnerAt(text, lt + 1, i)) return text.slice(lt + 1, i);
    lt = text.indexOf('<', i);
  }
  return undefined;
}

/** `local@domain` and nothing else: exactly one '@', not first or last, no '<', '>' or white space. */
function isBareAddress(t: string): boolean {
  const at = t.indexOf('@');
  if (at <= 0 || at === t.length - 1 || t.indexOf('@', at + 1) >= 0) return false;
  for (let i = 0; i < t.length; i++) if (!isAddressChar(t, i)) return false;
  return true;
}
