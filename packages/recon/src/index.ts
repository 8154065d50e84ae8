/**
 * @dkeyserv/recon — SKS set reconciliation (spec/recon.md).
 *
 * The storage-independent half of the recon engine:
 * - `ZZp`: GF(p) on native bigint with p = P_SKS, key hash ↔ element ↔ 17-byte wire form,
 *   sample points (§2, §5.2);
 * - `Poly`: polynomials over GF(p) (§6.3);
 * - `interpolate`, `factorCheck`, `findRoots`, `reconcile`: decoding a ReconRqstPoly (§6.3);
 * - `Bitstring`, `elementPath`, `childIndex`: node prefixes and element paths (§5.4);
 * - messages: one type per recon message, `encodeMessage`, the bounded incremental
 *   `MessageReader`, Config helpers with SKS's `checkConfig` rules and the status strings (§3, §4).
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
export * as ZZp from './field';
export * as Poly from './poly';
export type { Polynomial } from './poly';
export * from './decode';
export * from './bitstring';
export * from './messages/wire';
export * from './messages/codec';
export * from './messages/recon-rqst-poly';
export * from './messages/recon-rqst-full';
export * from './messages/elements';
export * from './messages/full-elements';
export * from './messages/sync-fail';
export * from './messages/done';
export * from './messages/flush';
export * from './messages/error';
export * from './messages/config';
export * from './ptree';
export * from './session';
export * from './recover';
export * from './peer';
