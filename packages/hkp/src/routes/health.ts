/** `/pks/health` (docs/hkp.md §1): liveness, `OK`, whatever the method. */
import { PathHandler } from './handler';

export const health: PathHandler = (ctx) => {
  ctx.type = 'text/plain';
  ctx.body = 'OK\n';
};
