/**
 * Error (code 7, either side; docs/recon.md §3, §7): a text reason, after which the sender
 * gives up, e.g. SKS's "server should never received request for non-existant node (ReconRqst_Full)".
 */
import type { WireReader, WireWriter } from './wire';

export interface ErrorMessage {
  readonly type: 'Error';
  readonly text: string;
}

export function writeErrorMessage(w: WireWriter, msg: ErrorMessage): void {
  w.bytes(msg.text);
}

export function readErrorMessage(r: WireReader): ErrorMessage {
  return { type: 'Error', text: r.text('Error text') };
}
