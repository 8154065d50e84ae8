/**
 * The rows of the peers' status (docs/recon.md §12, shown by the stats page, docs/hkp.md §11):
 * one per configured partner, and the most recent incoming sessions that no single partner can be
 * named for (loopback, partners sharing an address), at most `maxIncoming`, the oldest forgotten
 * first. No address gets a row by connecting alone: a node with many sources stays bounded.
 */
import type { PartnerStatus } from '@dkeyserv/db';
import type { Partner } from './partners';

/** recent incoming rows kept */
export const MAX_INCOMING_ROWS = 32;

export class PeerStatusBook {
  private readonly partners = new Map<string, PartnerStatus>();
  /** least recently used first */
  private readonly incoming = new Map<string, PartnerStatus>();

  constructor(private readonly maxIncoming = MAX_INCOMING_ROWS) {}

  /** A configured partner's row. */
  partner(p: Partner): PartnerStatus {
    return row(this.partners, p.name, `${p.host}:${p.port}`);
  }

  /** An incoming session's row, named after its address; now the most recent. */
  incomingFrom(address: string): PartnerStatus {
    const name = `${address} (incoming)`;
    const s = row(this.incoming, name, address);
    this.incoming.delete(name);
    this.incoming.set(name, s);
    for (const oldest of this.incoming.keys()) {
      if (this.incoming.size <= this.maxIncoming) break;
      this.incoming.delete(oldest);
    }
    return s;
  }

  /** The partners' rows (a partner no longer configured loses its row), then incoming, newest first. */
  list(partners: Partner[]): PartnerStatus[] {
    const rows = partners.map((p) => this.partner(p));
    const current = new Set(partners.map((p) => p.name));
    for (const name of this.partners.keys()) if (!current.has(name)) this.partners.delete(name);
    return [...rows, ...[...this.incoming.values()].reverse()];
  }
}

function row(rows: Map<string, PartnerStatus>, name: string, reconAddr: string): PartnerStatus {
  let s = rows.get(name);
  if (!s) rows.set(name, (s = { name, reconAddr, keysRecovered: 0, keysNotConverging: 0 }));
  return s;
}
