/**
 * Elements a peer offered that did not join our set when fetched (docs/recon-policies.md, "no
 * churn"): a key version our policy normalises to another hash, a forged attestation, an element
 * the peer did not return. They are not asked of that peer again for a while, so a difference that
 * can never close costs one fetch per TTL instead of one per gossip round. Memory is bounded per
 * peer (oldest forgotten first).
 */
export class Unobtainable {
  /** per peer and set: element (hex) → time before which it is not fetched again */
  private readonly until = new Map<string, Map<string, number>>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxPerPeer: number,
    private readonly now: () => number = Date.now,
  ) {}

  private of(peer: string): Map<string, number> {
    let m = this.until.get(peer);
    if (!m) this.until.set(peer, (m = new Map()));
    return m;
  }

  /** The elements still worth fetching from `peer`. */
  wanted(peer: string, elements: readonly Buffer[]): Buffer[] {
    const m = this.until.get(peer);
    if (!m) return [...elements];
    const now = this.now();
    return elements.filter((e) => !((m.get(e.toString('hex')) ?? 0) > now));
  }

  /**
   * After a clean fetch of `asked` from `peer`: remember those that are still not in our set.
   * Returns how many that is.
   */
  settle(peer: string, asked: readonly Buffer[], inOurSet: (e: Buffer) => boolean): number {
    const m = this.of(peer);
    const expires = this.now() + this.ttlMs;
    let n = 0;
    for (const e of asked) {
      if (inOurSet(e)) continue;
      const hex = e.toString('hex');
      m.delete(hex);
      m.set(hex, expires);
      n++;
    }
    for (const hex of m.keys()) {
      if (m.size <= this.maxPerPeer) break;
      m.delete(hex);
    }
    return n;
  }
}
