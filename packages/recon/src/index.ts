/**
 * @dkeyserv/recon — SKS set reconciliation (docs/recon.md).
 *
 * The public face, by topic (everything else in `src/` is internal):
 * - GF(p) and prefixes: `ZZp` (p = P_SKS on native bigint, key hash ↔ element ↔ 17-byte wire
 *   form, sample points; docs/recon.md §2, §5), `Bitstring` (node prefixes, docs/recon.md §5);
 * - decoding a ReconRqstPoly: `reconcile` (docs/recon.md §8), which throws `LowMBarError` when the
 *   difference is larger than the samples carry;
 * - messages: the `ReconMessage` types, `encodeMessage`, the bounded incremental `MessageReader`,
 *   `DONE`/`FLUSH`/`SYNC_FAIL`, Config helpers (`configMessage`, `encodeConfigStatus`;
 *   docs/recon.md §3, §4);
 * - the prefix tree kept in the key store's transactions: `PrefixTree`, `SKS_PTREE_PARAMS`,
 *   `attachPrefixTrees`, `openPrefixTrees`, `rebuildPrefixTree`, `checkPrefixTree`
 *   (docs/recon.md §5);
 * - a node: `ReconPeer` (sessions, gossip, recovery; docs/recon.md §1, §12), `readMembership`;
 *   for tools that drive a session by hand `ReconConnection`, `exchangeConfig` and `hashQuery`
 *   (docs/recon.md §4, §10);
 * - errors: every error thrown on purpose is a `ReconError` (`errors.ts`).
 *
 * @example
 * ```ts
 * import { createHash } from 'node:crypto';
 * import { ZZp, Bitstring, reconcile, encodeMessage, MessageReader } from '@dkeyserv/recon';
 *
 * const el = (s: string) => ZZp.elementFromHash(createHash('md5').update(s).digest());
 * const points = ZZp.samplePoints(6);
 * const svalues = (set: bigint[]) => points.map((k) => set.reduce((acc, x) => ZZp.mul(acc, ZZp.sub(k, x)), 1n));
 *
 * // Requester has A = {1..5}; responder has B = {1,2,3,6}. The responder decodes the Poly request:
 * const A = ['1', '2', '3', '4', '5'].map(el);
 * const B = ['1', '2', '3', '6'].map(el);
 * const request = { type: 'ReconRqstPoly', prefix: Bitstring.EMPTY, size: A.length, samples: svalues(A) } as const;
 * const reader = new MessageReader();
 * reader.push(encodeMessage(request));
 * const msg = reader.next();
 * if (msg?.type === 'ReconRqstPoly') {
 *   const sB = svalues(B);
 *   const values = msg.samples.map((s, i) => ZZp.div(s, sB[i]));
 *   const { remoteOnly, localOnly } = reconcile(values, points, msg.size - B.length); // may throw LowMBarError
 *   // remoteOnly = {d4, d5}: fetch them; localOnly = {d6}: reply Elements(localOnly).
 *   encodeMessage({ type: 'Elements', elements: localOnly });
 * }
 * ```
 */
import * as ZZp from './field';

export { ZZp };
export { Bitstring } from './bitstring';
export { reconcile, type ReconcileResult } from './decode';
export { ReconError, ReconProtocolError, ReconSessionError, ReconConfigError, DecodeError, LowMBarError, HashQueryError } from './errors';
export type { ProtocolFailure, DecodeFailure } from './errors';

// messages
export { encodeMessage, MessageReader, type ReconMessage } from './messages/codec';
export type { ReconLimits } from './messages/wire';
export type { ReconRqstPoly } from './messages/recon-rqst-poly';
export type { ReconRqstFull } from './messages/recon-rqst-full';
export type { Elements } from './messages/elements';
export type { FullElements } from './messages/full-elements';
export { SYNC_FAIL, type SyncFail } from './messages/sync-fail';
export { DONE, type Done } from './messages/done';
export { FLUSH, type Flush } from './messages/flush';
export type { ErrorMessage } from './messages/error';
export { configMessage, encodeConfigStatus, type ConfigMessage, type ConfigStatus, type PeerConfig, type ReconConfig } from './messages/config';

// the prefix tree
export { PrefixTree, SKS_PTREE_PARAMS, type PTreeParams, type ReconTree } from './ptree/prefix-tree';
export type { PTreeNode } from './ptree/node';
export { attachPrefixTrees, checkPrefixTree, markPrefixTreesStale, openPrefixTrees, prefixTreesStale, PTREE_STALE_MARK, rebuildPrefixTree, rebuildPrefixTrees } from './ptree/hooks';

// sessions, recovery and the node
export { ReconConnection } from './session/connection';
export { exchangeConfig, type ConfigExchange } from './session/handshake';
export { DEFAULT_REQUESTER_OPTIONS, type RequesterOptions } from './session/requester';
export { DEFAULT_RESPONDER_OPTIONS, type ResponderOptions } from './session/responder';
export { DEFAULT_HASHQUERY_OPTIONS, hashQuery, type HashQueryOptions } from './recover/hashquery-client';
export type { RecoverOptions } from './recover/recoverer';
export { readMembership, type MembershipFile, type Partner } from './peer/partners';
export { ReconPeer, type ExtraSet, type PeerStatus, type ReconPeerOptions, type SessionEvent } from './peer/recon-peer';
