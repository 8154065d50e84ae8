/**
 * Typed errors of @dkeyserv/pgp. Every rejection carries a short machine-friendly `reason`
 * (used for import summaries and HTTP error lines) and a one-line human message.
 */
export class PgpError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** ASCII armor that cannot be decoded: missing lines, bad base64, CRC-24 mismatch. */
export class ArmorError extends PgpError {}

/** Packet framing that cannot be read: truncated, bad header, over a length limit. */
export class PacketError extends PgpError {}

/** A packet sequence that is not a transferable public key under the recon policy. */
export class KeyStructureError extends PgpError {}

/** Input over a configured bound (packet size, key size, packet count). */
export class LimitError extends PgpError {}
