/**
 * `/metrics` (docs/hkp.md §11): the app's Prometheus registry (metrics-registry.ts), whatever the
 * method; in an HKP worker, those of all processes together, gathered by the primary.
 */
import { PathHandler } from './handler';

export const metrics: PathHandler = async (ctx, env) => {
  ctx.type = env.metrics.registry.contentType;
  ctx.body = env.cluster ? await env.cluster.metrics() : await env.metrics.registry.metrics();
};
