/**
 * @dkeyserv/recon — SKS set reconciliation (spec/recon.md).
 */
export {};
