/**
 * `dkeyserv recon`: SKS reconciliation only. It advertises the configured HKP port for
 * hashquery, so a `db` process on the same data directory must serve it (docs/architecture.md §6).
 */
import { serverCommand } from './server-family';

export const register = serverCommand('recon', 'run SKS reconciliation only (a `db` process on the same data serves hashquery)', { hkp: false, recon: true });
