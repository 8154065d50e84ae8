/**
 * Fingerprints and key IDs (RFC 9580 §5.5.4): v3 (MD5 of n‖e), v4 (SHA-1), v5/v6 (SHA-256).
 */
import { createHash } from 'node:crypto';
import { PacketError } from './errors';

export interface KeyIdentity {
  version: number;
  fingerprint: Buffer;
  /** 64-bit key ID */
  keyId: Buffer;
}

/** Read an MPI at `offset` of `body`: returns its value bytes (no length prefix) and the next offset. */
export function readMpi(body: Buffer, offset: number): { value: Buffer; next: number } {
  if (offset + 2 > body.length) throw new PacketError('truncated', 'truncated MPI length');
  const bits = body.readUInt16BE(offset);
  const n = (bits + 7) >> 3;
  if (offset + 2 + n > body.length) throw new PacketError('truncated', 'truncated MPI');
  return { value: body.subarray(offset + 2, offset + 2 + n), next: offset + 2 + n };
}

/** Identity of a public-key or public-subkey packet body. */
export function keyIdentity(body: Buffer): KeyIdentity {
  if (body.length < 1) throw new PacketError('truncated', 'empty key packet');
  const version = body[0];
  switch (version) {
    case 2:
    case 3: {
      // version, created(4), valid days(2), algorithm(1), MPI n, MPI e
      if (body.length < 8) throw new PacketError('truncated', 'truncated v3 key packet');
      const n = readMpi(body, 8);
      const e = readMpi(body, n.next);
      const fingerprint = createHash('md5').update(n.value).update(e.value).digest();
      const keyId = Buffer.alloc(8);
      n.value.copy(keyId, Math.max(0, 8 - n.value.length), Math.max(0, n.value.length - 8));
      return { version, fingerprint, keyId };
    }
    case 4: {
      const hdr = Buffer.from([0x99, (body.length >> 8) & 0xff, body.length & 0xff]);
      const fingerprint = createHash('sha1').update(hdr).update(body).digest();
      return { version, fingerprint, keyId: fingerprint.subarray(12, 20) };
    }
    case 5:
    case 6: {
      const hdr = Buffer.alloc(5);
      hdr[0] = version === 5 ? 0x9a : 0x9b;
      hdr.writeUInt32BE(body.length, 1);
      const fingerprint = createHash('sha256').update(hdr).update(body).digest();
      return { version, fingerprint, keyId: fingerprint.subarray(0, 8) };
    }
    default:
      throw new PacketError('unknown-key-version', `unknown key packet version ${version}`);
  }
}

/** The bytes a signature hashes for a key packet (RFC 9580 §5.2.4): 0x99/0x9a/0x9b prefix and length. */
export function keyHashPrefix(body: Buffer): Buffer {
  const version = body[0];
  if (version === 5 || version === 6) {
    const hdr = Buffer.alloc(5);
    hdr[0] = version === 5 ? 0x9a : 0x9b;
    hdr.writeUInt32BE(body.length, 1);
    return hdr;
  }
  return Buffer.from([0x99, (body.length >> 8) & 0xff, body.length & 0xff]);
}
