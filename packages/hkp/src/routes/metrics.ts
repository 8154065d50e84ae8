/** `/metrics` (docs/hkp.md §11): the app's Prometheus registry (metrics-registry.ts), whatever the method. */
import { PathHandler } from './handler';

export const metrics: PathHandler = async (ctx, env) => {
  ctx.type = env.metrics.registry.contentType;
  ctx.body = await env.metrics.registry.metrics();
};
