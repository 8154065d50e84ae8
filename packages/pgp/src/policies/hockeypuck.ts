/**
 * Hockeypuck ≥ 2.2's normalisation of a key (placeholder: filled in by the hockeypuck policy work).
 */
import { PublicKey } from '../key';
import { Packet } from '../packet';

export type HockeypuckVariant = '2.3' | '2.4';

export type HockeypuckView = { kept: Packet[] } | { reason: string; message: string };

export function hockeypuckView(key: PublicKey, variant: HockeypuckVariant): HockeypuckView {
  void variant;
  throw new Error(`hockeypuckView not implemented yet for ${key.fingerprint.toString('hex')}`);
}
