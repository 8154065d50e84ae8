/**
 * FullElements (code 3, responder → requester; docs/recon.md §3, §7): every responder element
 * under the node, sent when a Poly request cannot be decoded and the node is small. Its payload
 * and codec are those of Elements (elements.ts).
 */
import type { ElementList } from './elements';

export type FullElements = ElementList<'FullElements'>;
