/** The two shapes of a route handler (see table.ts). */
import Koa from 'koa';
import { LookupQuery } from '../lookup-query';
import { RouteEnv } from './env';

/** A path's handler; `params` are the capture groups of a pattern path (none for a fixed path). */
export type PathHandler = (ctx: Koa.Context, env: RouteEnv, params: string[]) => void | Promise<void>;

/** The handler of one `op` of `/pks/lookup`, with the parsed query string. */
export type OpHandler = (ctx: Koa.Context, env: RouteEnv, query: LookupQuery) => void | Promise<void>;
