/**
 * The e-mail address of a User ID as the store indexes it (`@dkeyserv/pgp` uid.ts `uidEmail`:
 * the last `<address>` ending the User ID, else the first `<address>`, else the whole User ID if
 * it is an address; lower-cased; at most 200 bytes), found in one linear pass: a User ID is
 * chosen by the key's owner and may be megabytes long, where a backtracking pattern such as
 * `<([^<>\s]+@[^<>\s]+)>` takes quadratic time (docs/hkp.md §13).
 */

/** Longest address the store indexes (uid.ts MAX_TERM). */
const MAX_ADDRESS_BYTES = 200;

/** Whether a token (no white space, no angle brackets) is address-like: an `@` with something either side. */
export function isAddressLike(token: string): boolean {
  return token.slice(1, -1).includes('@');
}

export function uidAddress(text: string): string | undefined {
  let first: string | undefined;
  let last: { address: string; end: number } | undefined;
  // each attempt starts at a `<` and stops at the next delimiter: every character is read once
  for (const m of text.matchAll(/<([^<>\s]*)>/g)) {
    if (!isAddressLike(m[1])) continue;
    first ??= m[1];
    last = { address: m[1], end: m.index + m[0].length };
  }
  let address = last && text.slice(last.end).trim() === '' ? last.address : first;
  if (address === undefined && /^[^\s<>@]+@[^\s<>@]+$/.test(text.trim())) address = text.trim();
  if (address === undefined) return undefined;
  address = address.toLowerCase();
  return Buffer.byteLength(address) <= MAX_ADDRESS_BYTES ? address : undefined;
}
