/**
 * SyncFail (code 4, responder → requester; spec/recon.md §3, §6.2): the node's difference is
 * too large to decode; the requester descends into its children. Empty payload.
 */
export interface SyncFail {
  readonly type: 'SyncFail';
}

export const SYNC_FAIL: SyncFail = Object.freeze({ type: 'SyncFail' });
