/**
 * Identity matching of HKP v2 (docs/hkp.md §12, draft §5.1.9): a key matches when one of its
 * served User IDs (present.ts) is the identity as a whole, or holds exactly one address-like
 * substring and that address between `<>` is the identity; never case-sensitive. Candidates come
 * from the e-mail or word index v1 searches (resolve.ts) and are then checked exactly.
 */
import { uidWords } from '@dkeyserv/pgp';
import { HttpError } from '../../errors';
import { keyView } from '../../model';
import { MAX_SEARCH_LENGTH } from '../../search-term';
import { RouteEnv } from '../env';
import { lookupRecords, ServedKey, servedKeys } from '../served-keys';
import { isAddressLike } from '../uid-address';

const ADDRESS = /^[^\s<>@]+@[^\s<>@]+$/;

/** Decode one percent-encoded path segment; a bad escape is 404 like any malformed identifier. */
export function decodeIdentifier(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(404, 'identifier is not valid percent-encoded UTF-8');
  }
}

/** The address-like tokens of a User ID: runs between white space and angle brackets with an `@` inside. */
function addressTokens(text: string): string[] {
  return text.split(/[\s<>]+/).filter(isAddressLike);
}

/**
 * Whether a User ID matches an identity (both compared lower-cased). Linear in the User ID's
 * length, which a key's owner chooses (megabytes are storable): no backtracking pattern.
 */
export function uidMatches(uid: string, identity: string): boolean {
  const text = uid.trim().toLowerCase();
  const want = identity.trim().toLowerCase();
  if (text === want) return true;
  const tokens = addressTokens(text);
  return tokens.length === 1 && tokens[0] === want && text.includes(`<${want}>`);
}

/** The served keys with a served User ID matching `identity`, newest first. */
export function findByIdentity(env: RouteEnv, identity: string): ServedKey[] {
  const id = identity.trim();
  if (id === '') throw new HttpError(404, 'empty identity');
  if (id.length > MAX_SEARCH_LENGTH) throw new HttpError(404, `identity is longer than ${MAX_SEARCH_LENGTH} characters`);
  const words = uidWords(id);
  if (!ADDRESS.test(id) && words.length === 0) return [];
  const records = lookupRecords(env, ADDRESS.test(id) ? { kind: 'email', value: id.toLowerCase() } : { kind: 'words', value: words });
  return servedKeys(env, records).filter((k) =>
    keyView(env.store, k.record).uids.some((u) => u.served && !u.isAttribute && uidMatches(u.text, id)),
  );
}
