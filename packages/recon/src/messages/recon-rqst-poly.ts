/**
 * ReconRqstPoly (code 0, requester → responder; docs/recon.md §3, §6): a node's prefix,
 * its element count on the requester side, and its svalues at the sample points.
 */
import type { Bitstring } from '../bitstring';
import type { WireReader, WireWriter } from './wire';

export interface ReconRqstPoly {
  readonly type: 'ReconRqstPoly';
  readonly prefix: Bitstring;
  /** Elements at or below the node on the requester side. */
  readonly size: number;
  /** The node's svalues, one per sample point (num_samples = mbar + 1 = 6). */
  readonly samples: readonly bigint[];
}

export function writeReconRqstPoly(w: WireWriter, msg: ReconRqstPoly): void {
  w.bitstring(msg.prefix).int(msg.size).elements(msg.samples);
}

export function readReconRqstPoly(r: WireReader): ReconRqstPoly {
  const prefix = r.bitstring('ReconRqstPoly prefix');
  const size = r.int('ReconRqstPoly size');
  const samples = r.elements('ReconRqstPoly samples');
  return { type: 'ReconRqstPoly', prefix, size, samples };
}
