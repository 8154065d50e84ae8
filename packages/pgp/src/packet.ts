/**
 * OpenPGP packet framing (RFC 9580 §4.2, RFC 4880 §4.2): old- and new-format headers.
 *
 * Packets are views into the input buffer: `body` is the packet body, `raw` the whole packet
 * with the header exactly as it arrived, so stored keys keep their original bytes (SKS dumps
 * keep the input headers too; docs/sks-key-hash.md §2).
 */
import { LimitError, PacketError } from './errors';

export const enum Tag {
  PublicKeyEncryptedSessionKey = 1,
  Signature = 2,
  SecretKey = 5,
  PublicKey = 6,
  SecretSubkey = 7,
  Marker = 10,
  Trust = 12,
  UserId = 13,
  PublicSubkey = 14,
  UserAttribute = 17,
}

export interface Packet {
  /** content tag (0–15 for old format, 0–63 for new format) */
  readonly tag: number;
  /** packet body without header */
  readonly body: Buffer;
  /** header and body as received (or as encoded by {@link encodePacket}) */
  readonly raw: Buffer;
}

export interface PacketLimits {
  /** largest body of a single packet, in bytes */
  maxPacketBytes: number;
}

export const DEFAULT_PACKET_LIMITS: PacketLimits = { maxPacketBytes: 8 * 1024 * 1024 };

/**
 * Read one packet at `offset`. Partial body lengths (new format, RFC 9580 §4.2.1.4) are joined
 * into one body; `raw` is then re-encoded with a definite length, since a partial header cannot be
 * stored as one packet. Old-format indeterminate length (type 3) runs to the end of the input.
 */
export function readPacket(buf: Buffer, offset: number, limits: PacketLimits = DEFAULT_PACKET_LIMITS): { packet: Packet; next: number } {
  const start = offset;
  const need = (n: number) => {
    if (offset + n > buf.length) throw new PacketError('truncated', `truncated packet header at byte ${start}`);
  };
  need(1);
  const ctb = buf[offset++];
  if ((ctb & 0x80) === 0) throw new PacketError('bad-header', `byte ${start}: 0x${ctb.toString(16).padStart(2, '0')} is not a packet header (bit 7 clear)`);
  let tag: number;
  let len: number;
  if ((ctb & 0x40) === 0) {
    // old format: tag in bits 5..2, length type in bits 1..0
    tag = (ctb >> 2) & 0x0f;
    const lt = ctb & 0x03;
    if (lt === 3) {
      len = buf.length - offset;
    } else {
      const n = 1 << lt;
      need(n);
      len = lt === 0 ? buf[offset] : lt === 1 ? buf.readUInt16BE(offset) : buf.readUInt32BE(offset);
      offset += n;
    }
  } else {
    tag = ctb & 0x3f;
    need(1);
    const b1 = buf[offset];
    if (b1 >= 224 && b1 < 255) return readPartial(buf, start, tag, offset, limits);
    const r = readNewLength(buf, offset, start);
    len = r.len;
    offset = r.next;
  }
  if (len > limits.maxPacketBytes) {
    throw new LimitError('packet-too-large', `packet at byte ${start} declares ${len} bytes, over the limit of ${limits.maxPacketBytes}`);
  }
  if (offset + len > buf.length) {
    throw new PacketError('truncated', `packet at byte ${start} declares ${len} bytes but only ${buf.length - offset} remain`);
  }
  const body = buf.subarray(offset, offset + len);
  return { packet: { tag, body, raw: buf.subarray(start, offset + len) }, next: offset + len };
}

function readNewLength(buf: Buffer, offset: number, start: number): { len: number; next: number } {
  const b1 = buf[offset];
  if (b1 < 192) return { len: b1, next: offset + 1 };
  if (b1 < 224) {
    if (offset + 2 > buf.length) throw new PacketError('truncated', `truncated length at byte ${start}`);
    return { len: ((b1 - 192) << 8) + buf[offset + 1] + 192, next: offset + 2 };
  }
  if (b1 === 255) {
    if (offset + 5 > buf.length) throw new PacketError('truncated', `truncated length at byte ${start}`);
    return { len: buf.readUInt32BE(offset + 1), next: offset + 5 };
  }
  throw new PacketError('bad-header', `unexpected partial length at byte ${start}`);
}

function readPartial(buf: Buffer, start: number, tag: number, offset: number, limits: PacketLimits) {
  const parts: Buffer[] = [];
  let total = 0;
  for (;;) {
    if (offset >= buf.length) throw new PacketError('truncated', `truncated partial-length packet at byte ${start}`);
    const b1 = buf[offset];
    let len: number;
    let partial = false;
    if (b1 >= 224 && b1 < 255) {
      len = 1 << (b1 & 0x1f);
      offset += 1;
      partial = true;
    } else {
      const r = readNewLength(buf, offset, start);
      len = r.len;
      offset = r.next;
    }
    total += len;
    if (total > limits.maxPacketBytes) {
      throw new LimitError('packet-too-large', `partial-length packet at byte ${start} exceeds the limit of ${limits.maxPacketBytes} bytes`);
    }
    if (offset + len > buf.length) throw new PacketError('truncated', `truncated partial-length packet at byte ${start}`);
    parts.push(buf.subarray(offset, offset + len));
    offset += len;
    if (!partial) break;
  }
  const body = Buffer.concat(parts);
  return { packet: { tag, body, raw: encodePacket(tag, body).raw }, next: offset };
}

/** Encode a packet with a new-format header and a definite length. */
export function encodePacket(tag: number, body: Buffer): Packet {
  let hdr: Buffer;
  const n = body.length;
  if (n < 192) hdr = Buffer.from([0xc0 | tag, n]);
  else if (n < 8384) hdr = Buffer.from([0xc0 | tag, ((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  else {
    hdr = Buffer.alloc(6);
    hdr[0] = 0xc0 | tag;
    hdr[1] = 255;
    hdr.writeUInt32BE(n, 2);
  }
  const raw = Buffer.concat([hdr, body]);
  return { tag, body: raw.subarray(hdr.length), raw };
}

/** Split a whole buffer into packets. Throws on the first framing error. */
export function splitPackets(buf: Buffer, limits: PacketLimits = DEFAULT_PACKET_LIMITS): Packet[] {
  const out: Packet[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const { packet, next } = readPacket(buf, offset, limits);
    out.push(packet);
    offset = next;
  }
  return out;
}

/** Concatenate packets' raw bytes. */
export function joinPackets(packets: readonly Packet[]): Buffer {
  return Buffer.concat(packets.map((p) => p.raw));
}

/** Byte equality of two packets as SKS compares them: same tag, same body (header form ignored). */
export function samePacket(a: Packet, b: Packet): boolean {
  return a.tag === b.tag && a.body.equals(b.body);
}
