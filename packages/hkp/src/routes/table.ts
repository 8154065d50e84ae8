/**
 * The one route table of the HKP app (docs/hkp.md §1): method, path, `op` (for `/pks/lookup`,
 * which dispatches by its `op` variable through the same table), the handler and the kind of
 * answer a person gets for an error. `router` serves it:
 *
 * - a path no row names: 404 `no such page`;
 * - a fixed path with the wrong method: 405 `use GET for /pks/lookup` (a pattern path: 404);
 * - `/pks/lookup`: the query string is parsed (bad encoding: 400), its `op` (default `index`)
 *   picks the row; an op no row names is 400 (SKS would quietly treat it as `index`).
 *
 * `GET` rows answer HEAD too; `ANY` rows every method. OPTIONS reaches only `OPTIONS` rows, under
 * `/pks/v2/` (the middleware answers it everywhere else, see middleware.ts).
 *
 * HKP v2 (`/pks/v2/`, docs/hkp.md §12) and Hagrid's VKS v1 (`/vks/v1/`, §13) bring their rows
 * from routes/v2 and routes/vks, one file per operation there too.
 */
import Koa from 'koa';
import { HttpError } from '../errors';
import { parseLookupQuery } from '../lookup-query';
import { add } from './add';
import { RouteEnv } from './env';
import { getOp } from './get';
import { OpHandler, PathHandler } from './handler';
import { hashquery } from './hashquery';
import { health } from './health';
import { hgetOp } from './hget';
import { indexOp, vindexOp } from './lookup-index';
import { metrics } from './metrics';
import { KEY_PAGE, keyPage, searchPage, stylesheet, uploadPage } from './pages';
import { statsOp } from './stats';
import { V2_ROUTES } from './v2';
import { VKS_ROUTES } from './vks';
import { xAttestations } from './x-attestations';
import { xQuorumOp } from './x-quorum';

export type Method = 'GET' | 'POST' | 'OPTIONS' | 'ANY';

/**
 * How errors are answered: `page`, an HTML error page; `page-unless-mr`, one unless `options=mr`;
 * `json`, `{"error": "<line>"}` (VKS submissions); else one line of text.
 */
export type ErrorForm = 'text' | 'page' | 'page-unless-mr' | 'json';

export interface OpRoute {
  method: 'GET';
  path: '/pks/lookup';
  op: string;
  /** the op this one is another name for (same handler) */
  aliasOf?: string;
  handler: OpHandler;
  errors: ErrorForm;
}

export interface PathRoute {
  method: Method;
  path: string | RegExp;
  handler: PathHandler;
  /** `text` unless given; add.ts picks its own by the Accept header */
  errors?: Exclude<ErrorForm, 'page-unless-mr'>;
}

export type Route = OpRoute | PathRoute;

const LOOKUP = '/pks/lookup';

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: LOOKUP, op: 'get', handler: getOp, errors: 'text' },
  { method: 'GET', path: LOOKUP, op: 'index', handler: indexOp, errors: 'page-unless-mr' },
  { method: 'GET', path: LOOKUP, op: 'vindex', handler: vindexOp, errors: 'page-unless-mr' },
  { method: 'GET', path: LOOKUP, op: 'hget', handler: hgetOp, errors: 'text' },
  { method: 'GET', path: LOOKUP, op: 'x-hget', aliasOf: 'hget', handler: hgetOp, errors: 'text' },
  { method: 'GET', path: LOOKUP, op: 'stats', handler: statsOp, errors: 'page-unless-mr' },
  { method: 'GET', path: LOOKUP, op: 'x-stats', aliasOf: 'stats', handler: statsOp, errors: 'page-unless-mr' },
  { method: 'GET', path: LOOKUP, op: 'x-quorum', handler: xQuorumOp, errors: 'text' },
  { method: 'POST', path: '/pks/add', handler: add },
  { method: 'POST', path: '/pks/hashquery', handler: hashquery },
  { method: 'POST', path: '/pks/x-attestations', handler: xAttestations },
  { method: 'ANY', path: '/pks/health', handler: health },
  { method: 'ANY', path: '/metrics', handler: metrics },
  { method: 'ANY', path: '/', handler: searchPage, errors: 'page' },
  { method: 'ANY', path: '/upload', handler: uploadPage, errors: 'page' },
  { method: 'ANY', path: '/assets/style.css', handler: stylesheet },
  { method: 'GET', path: KEY_PAGE, handler: keyPage, errors: 'page' },
  ...V2_ROUTES,
  ...VKS_ROUTES,
];

const isOpRoute = (r: Route): r is OpRoute => 'op' in r;

/** The capture groups of `path` on `route`, or undefined when it does not match. */
function matchPath(route: Route, path: string): string[] | undefined {
  if (typeof route.path === 'string') return route.path === path ? [] : undefined;
  const m = route.path.exec(path);
  return m ? m.slice(1) : undefined;
}

function allows(method: Method, requested: string): boolean {
  return method === 'ANY' || requested === method || (method === 'GET' && requested === 'HEAD');
}

/** The last middleware: the row for the request's path and method (and op), and its handler. */
export function router(env: RouteEnv, routes: readonly Route[] = ROUTES): Koa.Middleware {
  return async (ctx) => {
    const rows = routes.flatMap((route) => {
      const params = matchPath(route, ctx.path);
      return params ? [{ route, params }] : [];
    });
    if (rows.length === 0) throw new HttpError(404, `no such page: ${ctx.path}`);
    const allowed = rows.filter((r) => allows(r.route.method, ctx.method));
    if (allowed.length === 0) {
      const { route } = rows[0];
      if (typeof route.path === 'string') throw new HttpError(405, `use ${route.method} for ${route.path}`);
      throw new HttpError(404, `no such page: ${ctx.path}`);
    }
    const { route, params } = allowed[0];
    if (isOpRoute(route)) return dispatchOp(ctx, env, allowed.map((r) => r.route).filter(isOpRoute));
    if (route.errors === 'page') ctx.state.html = true;
    if (route.errors === 'json') ctx.state.json = true;
    return route.handler(ctx, env, params);
  };
}

/** `/pks/lookup`: the row of the query's `op`. */
function dispatchOp(ctx: Koa.Context, env: RouteEnv, ops: OpRoute[]) {
  const query = parseLookupQuery(ctx.querystring);
  const route = ops.find((r) => r.op === query.op);
  if (!route) throw new HttpError(400, `unknown op '${query.op.slice(0, 32)}': use get, index, vindex, hget or stats`);
  ctx.state.html = route.errors === 'page-unless-mr' && !query.mr;
  return route.handler(ctx, env, query);
}
