/**
 * What a peer runs, told from its recon Config (docs/recon-policies.md): SKS sends its entries in
 * alphabetical order (PMap), conflux (Hockeypuck) in its own order starting with `version`, and
 * dkeyserv adds a `dkeyserv` entry with its version; the filter string then names the Hockeypuck
 * generation (docs/recon.md §4).
 */
import { ReconPolicyName, RECON_POLICY_NAMES, policyForFilters } from '@dkeyserv/pgp';
import { ConfigMessage } from '../messages/config';

/** The Config entry dkeyserv adds, with its version. */
export const SOFTWARE_CONFIG_KEY = 'dkeyserv';

export interface PeerSoftware {
  /** e.g. "SKS", "Hockeypuck 2.2–2.3", "dkeyserv 0.1.0" */
  software: string;
  /** the recon policy whose filters the peer sent, if any of ours */
  policy?: ReconPolicyName;
  /** the peer's filter string as sent */
  filters: string;
}

export function peerSoftware(remote: ConfigMessage): PeerSoftware {
  const entries = new Map(remote.entries);
  const filters = entries.get('filters')?.toString('utf8') ?? '';
  const policy = policyForFilters(RECON_POLICY_NAMES, filters)?.name;
  const ours = entries.get(SOFTWARE_CONFIG_KEY);
  if (ours) return { software: `dkeyserv ${ours.toString('utf8').slice(0, 40)}`, policy, filters };
  const first = remote.entries[0]?.[0];
  let software = 'unknown';
  if (first === 'bitquantum') software = 'SKS';
  else if (first === 'version') {
    software =
      policy === 'hockeypuck' ? 'Hockeypuck 2.2–2.3' : policy === 'hockeypuck-2.4' ? 'Hockeypuck 2.4' : policy === 'sks' ? 'Hockeypuck ≤ 2.1' : 'Hockeypuck (other filters)';
  }
  return { software, policy, filters };
}
