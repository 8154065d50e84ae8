/**
 * Elements (code 2; docs/recon.md §3, §6, §7): the responder's reply listing what the requester
 * lacks, and the requester's unsolicited list after a FullElements reply.
 *
 * Elements and FullElements (full-elements.ts) carry the same payload, a set of elements; the
 * one codec for both is here.
 */
import type { WireReader, WireWriter } from './wire';

/** A message whose payload is a set of elements: Elements or FullElements. */
export interface ElementList<T extends 'Elements' | 'FullElements'> {
  readonly type: T;
  /** A set: written ascending (SKS order), read in whatever order the peer sent. */
  readonly elements: readonly bigint[];
}

export type Elements = ElementList<'Elements'>;

/** The codec of an element-list message: the set on the wire, ascending. */
export function elementListCodec<T extends 'Elements' | 'FullElements'>(type: T) {
  return {
    write: (w: WireWriter, msg: ElementList<T>): void => {
      w.set(msg.elements);
    },
    read: (r: WireReader): ElementList<T> => ({ type, elements: r.elements(type) }),
  };
}
