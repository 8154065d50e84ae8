/**
 * `POST /pks/v2/certs` (docs/hkp.md §12, draft §5.2.1, §5.2.4, §5.2.5, §7.2): a certificate
 * bundle as `application/pgp` (what Hockeypuck sends since its -01 alignment),
 * `application/pgp-keys` with any parameters, or `application/octet-stream`; or a
 * `multipart/form-data` form whose `keytext` part holds it. Binary or, leniently, armored. Stored
 * through the /pks/add path (store-upload.ts). The answer is the draft's JSON object of arrays
 * `inserted`, `updated`, `deleted` (always empty: a submission never deletes), `ignored`
 * (nothing new) and `invalid` (refused, with the reason as `comment`), each entry with `version`
 * and lower-case `fingerprint`. Empty or unreadable: 422; another media type: 415.
 */
import { IngestResult } from '@dkeyserv/db';
import { keyIdentity, Tag } from '@dkeyserv/pgp';
import { keyEntries } from '../../add-keys';
import { readBody } from '../../body';
import { HttpError } from '../../errors';
import { RouteEnv } from '../env';
import { PathHandler } from '../handler';
import { sendJson } from '../respond';
import { storeUpload } from '../store-upload';
import { BUNDLE_TYPE } from './bundle';
import { keytextPart } from './multipart';

const BUNDLE_TYPES = new Set([BUNDLE_TYPE, 'application/pgp-keys', 'application/octet-stream']);

export interface SubmittedCert {
  version: number;
  fingerprint: string;
  comment?: string;
}

export type SubmissionResult = Record<'inserted' | 'updated' | 'deleted' | 'ignored' | 'invalid', SubmittedCert[]>;

const LIST: Record<IngestResult['status'], keyof SubmissionResult> = { new: 'inserted', updated: 'updated', unchanged: 'ignored', rejected: 'invalid' };

/** The key material of a submission, by media type. */
function material(contentType: string, body: Buffer): Buffer {
  const type = contentType.split(';')[0].trim().toLowerCase();
  if (BUNDLE_TYPES.has(type)) return body;
  if (type === 'multipart/form-data') return keytextPart(contentType, body);
  throw new HttpError(415, `media type ${JSON.stringify(type.slice(0, 64))} is not taken: send application/pgp, application/pgp-keys or multipart/form-data with keytext`);
}

/** Key versions by lower-case fingerprint, read from the submission (for keys the store does not hold). */
function submittedVersions(bundle: Buffer): Map<string, number> {
  const versions = new Map<string, number>();
  for (const e of keyEntries(bundle)) {
    if (e.packets[0].tag !== Tag.PublicKey) continue;
    try {
      const id = keyIdentity(e.packets[0].body);
      versions.set(id.fingerprint.toString('hex'), id.version);
    } catch {
      // an unreadable key packet was refused without a fingerprint
    }
  }
  return versions;
}

export function submissionResult(env: RouteEnv, results: readonly IngestResult[], bundle: Buffer): SubmissionResult {
  const out: SubmissionResult = { inserted: [], updated: [], deleted: [], ignored: [], invalid: [] };
  let fromBundle: Map<string, number> | undefined;
  for (const r of results) {
    if (!r.fpr) continue; // a bare signature names no certificate
    let version = env.store.get(Buffer.from(r.fpr, 'hex'))?.version;
    if (version === undefined) version = (fromBundle ??= submittedVersions(bundle)).get(r.fpr) ?? 0;
    const comment = r.status === 'rejected' ? `${r.reason}: ${r.message}` : r.status === 'unchanged' ? 'nothing new: the stored certificate already has all of it' : undefined;
    out[LIST[r.status]].push({ version, fingerprint: r.fpr, ...(comment ? { comment } : {}) });
  }
  return out;
}

export const submitCerts: PathHandler = async (ctx, env) => {
  const contentType = ctx.get('Content-Type');
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  const bundle = material(contentType, body);
  if (bundle.length === 0) throw new HttpError(422, 'empty submission: send a certificate bundle');
  const outcome = await storeUpload(env, BUNDLE_TYPE, bundle, ctx.ip);
  const result = submissionResult(env, outcome.results, bundle);
  if (Object.values(result).every((l) => l.length === 0)) {
    const first = outcome.results.find((r) => r.status === 'rejected');
    throw new HttpError(422, first ? `no certificate stored: ${first.reason}: ${first.message}` : 'no certificate found in the submission');
  }
  sendJson(ctx, result);
};
