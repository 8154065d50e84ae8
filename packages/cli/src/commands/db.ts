/** `dkeyserv db`: HKP only, SKS's database process; pairs with `dkeyserv recon` (docs/architecture.md §6). */
import { serverCommand } from './server-family';

export const register = serverCommand('db', 'serve HKP only (the SKS-style database process)', { hkp: true, recon: false });
