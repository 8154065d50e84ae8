/**
 * Flush (code 6, requester → responder; docs/recon.md §3, §6): the responder must write its
 * pending replies now; without it SKS and conflux hold them back and the session deadlocks.
 * Empty payload.
 */
export interface Flush {
  readonly type: 'Flush';
}

export const FLUSH: Flush = Object.freeze({ type: 'Flush' });
