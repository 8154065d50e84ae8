/**
 * Splitting a stream of packets (a binary keyring, an SKS dump file, a dearmored block) into
 * keys. Like SKS (key.ml), a key starts at each public-key packet; we also start one at each
 * secret-key packet so secret material is rejected on its own instead of spoiling its neighbour.
 */
import { PgpError } from './errors';
import { DEFAULT_PACKET_LIMITS, Packet, PacketLimits, readPacket, Tag } from './packet';

export interface KeyringEntry {
  /** byte offset of the key's first packet in the input */
  offset: number;
  packets: Packet[];
}

export interface KeyringError {
  offset: number;
  error: PgpError;
}

/**
 * Iterate the keys of a packet stream. A framing error ends the stream: the keys before it are
 * yielded, then the error (nothing after a bad header can be located reliably).
 */
export function* splitKeyring(buf: Buffer, limits: PacketLimits = DEFAULT_PACKET_LIMITS): Generator<KeyringEntry | KeyringError> {
  let offset = 0;
  let current: KeyringEntry | undefined;
  while (offset < buf.length) {
    let r;
    try {
      r = readPacket(buf, offset, limits);
    } catch (e) {
      if (current) yield current;
      if (e instanceof PgpError) {
        yield { offset, error: e };
        return;
      }
      throw e;
    }
    const tag = r.packet.tag;
    if (!current || tag === Tag.PublicKey || tag === Tag.SecretKey) {
      if (current) yield current;
      current = { offset, packets: [] };
    }
    current.packets.push(r.packet);
    offset = r.next;
  }
  if (current) yield current;
}

export function isKeyringError(e: KeyringEntry | KeyringError): e is KeyringError {
  return (e as KeyringError).error !== undefined;
}
