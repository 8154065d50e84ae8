/** `dkeyserv serve`: HKP and recon in one process, what `npm start` runs (docs/operations.md §2). */
import { serverCommand } from './server-family';

export const register = serverCommand('serve', 'serve HKP and SKS reconciliation (recon) in one process', { hkp: true, recon: true });
