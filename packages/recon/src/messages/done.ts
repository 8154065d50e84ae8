/** Done (code 5, requester → responder; docs/recon.md §3, §6): the session is over. Empty payload. */
export interface Done {
  readonly type: 'Done';
}

export const DONE: Done = Object.freeze({ type: 'Done' });
