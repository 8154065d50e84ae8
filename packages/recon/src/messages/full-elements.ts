/**
 * FullElements (code 3, responder → requester; spec/recon.md §3, §6.2): every responder element
 * under the node, sent when a Poly request cannot be decoded and the node is small.
 */
import type { WireReader, WireWriter } from './wire';

export interface FullElements {
  readonly type: 'FullElements';
  /** A set: written ascending (SKS order), read in whatever order the peer sent. */
  readonly elements: readonly bigint[];
}

export function writeFullElements(w: WireWriter, msg: FullElements): void {
  w.set(msg.elements);
}

export function readFullElements(r: WireReader): FullElements {
  return { type: 'FullElements', elements: r.elements('FullElements') };
}
