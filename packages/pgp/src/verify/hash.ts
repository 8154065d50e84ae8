/**
 * Hash algorithms of signatures (RFC 9580 §9.5) as node:crypto names them, with their digest size
 * and the v6 salt size each requires (RFC 9580 §9.5, table 23).
 */

export interface HashInfo {
  /** node:crypto / OpenSSL digest name */
  name: string;
  /** digest size in octets */
  bytes: number;
  /** v6 salt length in octets; undefined where RFC 9580 forbids the algorithm in v6 signatures */
  v6Salt?: number;
}

const HASHES: Partial<Record<number, HashInfo>> = {
  1: { name: 'md5', bytes: 16 },
  2: { name: 'sha1', bytes: 20 },
  3: { name: 'ripemd160', bytes: 20 },
  8: { name: 'sha256', bytes: 32, v6Salt: 16 },
  9: { name: 'sha384', bytes: 48, v6Salt: 24 },
  10: { name: 'sha512', bytes: 64, v6Salt: 32 },
  11: { name: 'sha224', bytes: 28, v6Salt: 16 },
  12: { name: 'sha3-256', bytes: 32, v6Salt: 16 },
  14: { name: 'sha3-512', bytes: 64, v6Salt: 32 },
};

/** The hash algorithm with this ID, or undefined if unknown or unsupported. */
export function hashInfo(id: number): HashInfo | undefined {
  return HASHES[id];
}
