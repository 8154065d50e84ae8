/**
 * The JSON object of a VKS `POST` (docs/hkp.md §13): read with the body limits (body.ts); not
 * JSON, or not an object, is 400 with Hagrid's wording (its errors are `{"error": …}`, routes
 * marked `errors: 'json'` in table.ts).
 */
import Koa from 'koa';
import { readBody } from '../../body';
import { HttpError } from '../../errors';
import { RouteEnv } from '../env';

export async function readJsonObject(ctx: Koa.Context, env: RouteEnv): Promise<Record<string, unknown>> {
  const body = await readBody(ctx.req, env.options.maxBodyBytes, env.options.bodyTimeoutMs);
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'expected application/json data: a JSON object such as {"keytext": "<armored key>"}');
  }
  return value as Record<string, unknown>;
}
