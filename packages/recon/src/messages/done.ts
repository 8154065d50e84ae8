/** Done (code 5, requester → responder; spec/recon.md §3, §6.1): the session is over. Empty payload. */
export interface Done {
  readonly type: 'Done';
}

export const DONE: Done = Object.freeze({ type: 'Done' });
