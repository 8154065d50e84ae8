/**
 * Hash algorithms of signatures (RFC 9580 §9.5) as node:crypto names them, with the v6 salt size
 * each requires (RFC 9580 §9.5, table 23).
 */

export interface HashInfo {
  /** node:crypto / OpenSSL digest name */
  name: string;
  /** v6 salt length in octets; undefined where RFC 9580 forbids the algorithm in v6 signatures */
  v6Salt?: number;
}

const HASHES: Partial<Record<number, HashInfo>> = {
  1: { name: 'md5' },
  2: { name: 'sha1' },
  3: { name: 'ripemd160' },
  8: { name: 'sha256', v6Salt: 16 },
  9: { name: 'sha384', v6Salt: 24 },
  10: { name: 'sha512', v6Salt: 32 },
  11: { name: 'sha224', v6Salt: 16 },
  12: { name: 'sha3-256', v6Salt: 16 },
  14: { name: 'sha3-512', v6Salt: 32 },
};

/** The hash algorithm with this ID, or undefined if unknown or unsupported. */
export function hashInfo(id: number): HashInfo | undefined {
  return HASHES[id];
}
