/**
 * Elements (code 2; spec/recon.md §3, §6): the responder's reply listing what the requester
 * lacks, and the requester's unsolicited list after a FullElements reply.
 */
import type { WireReader, WireWriter } from './wire';

export interface Elements {
  readonly type: 'Elements';
  /** A set: written ascending (SKS order), read in whatever order the peer sent. */
  readonly elements: readonly bigint[];
}

export function writeElements(w: WireWriter, msg: Elements): void {
  w.set(msg.elements);
}

export function readElements(r: WireReader): Elements {
  return { type: 'Elements', elements: r.elements('Elements') };
}
