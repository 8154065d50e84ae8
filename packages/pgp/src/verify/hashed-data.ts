/**
 * What a key signature hashes (RFC 9580 §5.2.4; RFC 4880 §5.2.4 for v3 signatures), in order:
 *
 *   [v6 salt] ‖ primary key ‖ [User ID / User Attribute | subkey] ‖ trailer
 *
 * Keys are hashed with their 0x99 / 0x9b prefix (see keyHashPrefix). A User ID is prefixed with
 * 0xB4 ‖ 4-octet length and a User Attribute with 0xD1 ‖ 4-octet length, except under v3
 * signatures, which hash the bare User ID. A subkey binding across key versions where one is v6
 * hashes nothing: RFC 9580 §10.1 forbids it.
 */
import { PacketError } from '../errors';
import { keyHashPrefix } from '../fingerprint';
import { Packet, Tag } from '../packet';
import { Signature, SigType } from '../signature';

/** Signature types over the primary key and a User ID or User Attribute. */
function isCertificationType(t: number): boolean {
  return (t >= SigType.CertGeneric && t <= SigType.CertPositive) || t === SigType.CertRevocation;
}

/** Signature types over the primary key and a subkey. */
function isSubkeyType(t: number): boolean {
  return t === SigType.SubkeyBinding || t === SigType.PrimaryKeyBinding || t === SigType.SubkeyRevocation;
}

/** Signature types over the primary key alone. */
function isKeyType(t: number): boolean {
  return t === SigType.DirectKey || t === SigType.KeyRevocation;
}

/**
 * The octets `sig` hashes, as a list of buffers to feed a hash in order. `component` is the User ID,
 * User Attribute or subkey packet the signature follows (none for direct-key and key-revocation
 * signatures). Throws PacketError when the signature type does not fit the component.
 */
export function signedData(sig: Signature, primaryBody: Buffer, component?: Packet): Buffer[] {
  const parts: Buffer[] = [];
  if (sig.salt) parts.push(sig.salt); // RFC 9580 §5.2.4: v6 signatures hash the salt first
  parts.push(keyHashPrefix(primaryBody), primaryBody);
  const t = sig.sigType;
  if (isCertificationType(t)) {
    if (!component || (component.tag !== Tag.UserId && component.tag !== Tag.UserAttribute)) {
      throw new PacketError('misplaced-signature', `signature type 0x${t.toString(16)} needs a User ID or User Attribute`);
    }
    if (sig.version !== 3) {
      const hdr = Buffer.allocUnsafe(5);
      hdr[0] = component.tag === Tag.UserId ? 0xb4 : 0xd1;
      hdr.writeUInt32BE(component.body.length, 1);
      parts.push(hdr);
    }
    parts.push(component.body);
  } else if (isSubkeyType(t)) {
    if (!component || component.tag !== Tag.PublicSubkey) {
      throw new PacketError('misplaced-signature', `signature type 0x${t.toString(16)} needs a subkey`);
    }
    // RFC 9580 §10.1: a v6 primary key's subkeys are v6, a v4 one's are not
    if ((primaryBody[0] === 6) !== (component.body[0] === 6)) {
      throw new PacketError('subkey-version', `a v${primaryBody[0]} key cannot bind a v${component.body[0]} subkey`);
    }
    parts.push(keyHashPrefix(component.body), component.body);
  } else if (!isKeyType(t) || component) {
    throw new PacketError('misplaced-signature', `signature type 0x${t.toString(16)} is not a signature over this key alone`);
  }
  parts.push(sig.trailer);
  return parts;
}
