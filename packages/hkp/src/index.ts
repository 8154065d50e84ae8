/**
 * @dkeyserv/hkp — the HKP server of dkeyserv (koa): `/pks/lookup` (get, index, vindex, hget,
 * stats), `/pks/add`, `/pks/hashquery`, `/pks/health`, `/metrics`, and the web pages.
 *
 * @example
 * ```ts
 * import { KeyStore } from '@dkeyserv/db';
 * import { createHkpApp, DEFAULT_HKP_OPTIONS, listen } from '@dkeyserv/hkp';
 * const store = KeyStore.open({ path: './data/db' });
 * const app = createHkpApp({
 *   store,
 *   logger: console as any,
 *   options: { ...DEFAULT_HKP_OPTIONS, identity: { hostname: 'localhost', nodename: 'example', software: 'dkeyserv', version: '0.1.0', httpAddr: '127.0.0.1:11371' } },
 * });
 * const running = await listen(app, { host: '127.0.0.1', port: 11371 });
 * ```
 */
export * from './errors';
export * from './app';
export * from './server';
export * from './metrics-registry';
export * from './ratelimit';
export * from './stats-view';
export * from './model';
export * from './mr-index';
export * from './present';
export * from './search-term';
export * from './hashquery-codec';
export * from './lookup-query';
