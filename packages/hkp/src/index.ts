/**
 * @dkeyserv/hkp — the HKP server of dkeyserv (koa).
 */
export * from './errors';
