/**
 * `/pks/health` (docs/hkp.md §1): liveness, `OK`, whatever the method. An HKP worker names itself
 * in `X-HKP-Worker` (docs/operations.md §12), so a check can tell which process answered.
 */
import { PathHandler } from './handler';

export const health: PathHandler = (ctx, env) => {
  if (env.cluster) ctx.set('X-HKP-Worker', String(env.cluster.worker));
  ctx.type = 'text/plain';
  ctx.body = 'OK\n';
};
