/**
 * The one call HKP v2 and VKS submissions make to store key material (docs/hkp.md §6): the
 * upload path of `/pks/add` (add-keys.ts `uploadKeys`; in an HKP worker, the primary's over IPC,
 * docs/operations.md §12), with the same per-key metrics and log line. Awaited whether that path
 * answers at once or later, so a change of its signature touches this file only.
 */
import { AddOutcome, uploadKeys } from '../add-keys';
import { RouteEnv } from './env';

export async function storeUpload(env: RouteEnv, contentType: string, body: Buffer, ip: string): Promise<AddOutcome> {
  const outcome = env.cluster ? await env.cluster.upload(contentType, body) : await uploadKeys(env.store, contentType, body, env.preparer);
  const counts: Record<string, number> = { new: 0, updated: 0, unchanged: 0, rejected: 0 };
  for (const r of outcome.results) {
    env.metrics.keys.inc({ outcome: r.status });
    counts[r.status]++;
  }
  env.logger.info('keys added', { ...counts, ip });
  return outcome;
}
