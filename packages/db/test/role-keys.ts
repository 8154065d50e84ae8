/** The keys of Debian's role keyring (debian-keyring package), each as its packets: the db tests' fixture. */
import { readFileSync } from 'node:fs';
import { isKeyringError, Packet, splitKeyring } from '@dkeyserv/pgp';

export function roleKeys(): Packet[][] {
  const out: Packet[][] = [];
  for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
    if (isKeyringError(e)) throw e.error;
    out.push(e.packets);
  }
  return out;
}
