/**
 * A recon partner's status as a recon node reports it and the stats page and JSON show it
 * (Hockeypuck's `peers[]` fields, docs/hkp.md §11). Declared here, the layer recon and hkp
 * share, so that neither imports the other (docs/architecture.md §2).
 */
export interface PartnerStatus {
  name: string;
  reconAddr: string;
  httpAddr?: string;
  lastIncomingRecon?: string;
  lastIncomingError?: string;
  lastOutgoingRecon?: string;
  lastOutgoingError?: string;
  lastRecovery?: string;
  lastRecoveryError?: string;
  keysRecovered: number;
  /** key versions fetched that did not bring the asked hash, so not fetched again for an hour (docs/recon-policies.md) */
  keysNotConverging: number;
  /** quorum members: elements of the attestation set recovered from this peer */
  extraRecovered?: number;
  /** the recon policy of the last session; the peer's software and filter string, as its Config told */
  policy?: string;
  software?: string;
  filters?: string;
}
