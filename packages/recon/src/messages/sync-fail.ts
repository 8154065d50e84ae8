/**
 * SyncFail (code 4, responder → requester; docs/recon.md §3, §7): the node's difference is
 * too large to decode; the requester descends into its children. Empty payload.
 */
export interface SyncFail {
  readonly type: 'SyncFail';
}

export const SYNC_FAIL: SyncFail = Object.freeze({ type: 'SyncFail' });
