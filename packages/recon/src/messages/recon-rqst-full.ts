/**
 * ReconRqstFull (code 1, requester → responder; docs/recon.md §3, §6): a node's prefix and
 * every requester element under it.
 */
import type { Bitstring } from '../bitstring';
import type { WireReader, WireWriter } from './wire';

export interface ReconRqstFull {
  readonly type: 'ReconRqstFull';
  readonly prefix: Bitstring;
  /** A set: written ascending (SKS order), read in whatever order the peer sent. */
  readonly elements: readonly bigint[];
}

export function writeReconRqstFull(w: WireWriter, msg: ReconRqstFull): void {
  w.bitstring(msg.prefix).set(msg.elements);
}

export function readReconRqstFull(r: WireReader): ReconRqstFull {
  const prefix = r.bitstring('ReconRqstFull prefix');
  const elements = r.elements('ReconRqstFull elements');
  return { type: 'ReconRqstFull', prefix, elements };
}
