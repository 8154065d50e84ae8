/**
 * The recon prefix tree (docs/recon.md §5) in an LMDB database of the key store's environment:
 * bitQuantum 2, mbar 5 (6 sample points), split above 50 elements, join at 25 or fewer.
 * Every change runs inside the caller's write transaction (the ingest hook), so the tree and the
 * key store always hold the same set.
 */
import type { Database } from 'lmdb';
import { Bitstring, childIndex } from '../bitstring';
import { elementFromHash, inv, mul, samplePoints, sub } from '../field';
import { decodeNode, encodeNode, HASH_BYTES, nodeKey, PTreeNode } from './node';

export interface PTreeParams {
  bitQuantum: number;
  mbar: number;
  /** a leaf holding more elements splits (SKS: ptree_thresh_mult 10 × mbar) */
  splitThreshold: number;
  /** an internal node holding this many or fewer collapses into a leaf */
  joinThreshold: number;
}

export const SKS_PTREE_PARAMS: PTreeParams = { bitQuantum: 2, mbar: 5, splitThreshold: 50, joinThreshold: 25 };

/** A read-only view of a tree (what a recon session needs). */
export interface ReconTree {
  readonly params: PTreeParams;
  readonly points: bigint[];
  /** the stored node at `prefix`, if there is one */
  node(prefix: Bitstring): PTreeNode | undefined;
  /**
   * The node at `prefix` as a peer with a deeper tree sees it: the stored node, or for a prefix
   * below one of our leaves a computed leaf of that leaf's elements under the prefix (size,
   * svalues and hashes of the true sub-prefix). Undefined for a prefix no tree can have.
   */
  nodeAt(prefix: Bitstring): PTreeNode | undefined;
  /** every element hash under `prefix` (also below a leaf: the leaf's elements under it) */
  hashes(prefix: Bitstring): Buffer[];
}

export class PrefixTree implements ReconTree {
  readonly points: bigint[];

  constructor(
    private readonly db: Database<Buffer, Buffer>,
    readonly params: PTreeParams = SKS_PTREE_PARAMS,
  ) {
    this.points = samplePoints(params.mbar + 1);
  }

  private emptyNode(prefix: Bitstring): PTreeNode {
    return { prefix, size: 0, svalues: this.points.map(() => 1n), leaf: true, hashes: [] };
  }

  node(prefix: Bitstring): PTreeNode | undefined {
    const v = this.db.get(nodeKey(prefix));
    if (v) return decodeNode(prefix, v, this.points.length);
    return prefix.length === 0 ? this.emptyNode(prefix) : undefined;
  }

  /**
   * The stored node, else the computed sub-prefix of the nearest ancestor, which must be a leaf
   * (docs/recon.md §7: the true sub-prefix, not conflux's superset). Undefined for a
   * prefix that is no whole number of levels or longer than a hash (128 bits), or when the
   * nearest stored ancestor is an internal node (a broken tree).
   */
  nodeAt(prefix: Bitstring): PTreeNode | undefined {
    if (prefix.length % this.params.bitQuantum !== 0 || prefix.length > HASH_BYTES * 8) return undefined;
    const stored = this.node(prefix);
    if (stored) return stored;
    for (let bits = prefix.length - this.params.bitQuantum; bits >= 0; bits -= this.params.bitQuantum) {
      const above = this.node(prefix.prefix(bits));
      if (!above) continue;
      if (!above.leaf) return undefined;
      const node = this.emptyNode(prefix);
      for (const h of above.hashes) {
        if (!prefix.isPrefixOf(Bitstring.fromBytes(h, HASH_BYTES * 8))) continue;
        const x = elementFromHash(h);
        node.size++;
        node.svalues = node.svalues.map((s, i) => mul(s, sub(this.points[i], x)));
        node.hashes.push(h);
      }
      return node;
    }
    return undefined; // (the root always exists)
  }

  private put(node: PTreeNode) {
    this.db.putSync(nodeKey(node.prefix), encodeNode(node));
  }

  /** The path from the root to the leaf that holds (or would hold) `hash`. */
  private path(hash: Buffer): PTreeNode[] {
    const nodes: PTreeNode[] = [];
    let node = this.node(Bitstring.EMPTY)!;
    for (let depth = 0; ; depth++) {
      nodes.push(node);
      if (node.leaf) return nodes;
      const child = node.prefix.child(childIndex(hash, depth, this.params.bitQuantum), this.params.bitQuantum);
      const next = this.node(child);
      if (!next) throw new Error(`prefix tree is missing node ${child.toString()}`);
      node = next;
    }
  }

  /** Add an element (16-byte SKS hash); false if it is already in the tree. Call inside a write transaction. */
  insert(hash: Buffer): boolean {
    const nodes = this.path(hash);
    const leaf = nodes[nodes.length - 1];
    if (leaf.hashes.some((h) => h.equals(hash))) return false;
    const x = elementFromHash(hash);
    const factors = this.points.map((p) => sub(p, x));
    for (const node of nodes) {
      node.size++;
      node.svalues = node.svalues.map((s, i) => mul(s, factors[i]));
    }
    leaf.hashes.push(Buffer.from(hash));
    for (const node of nodes) this.put(node);
    if (leaf.size > this.params.splitThreshold) this.split(leaf);
    return true;
  }

  /** Remove an element; false if it was not in the tree. Call inside a write transaction. */
  remove(hash: Buffer): boolean {
    const nodes = this.path(hash);
    const leaf = nodes[nodes.length - 1];
    const at = leaf.hashes.findIndex((h) => h.equals(hash));
    if (at < 0) return false;
    const x = elementFromHash(hash);
    const factors = this.points.map((p) => inv(sub(p, x)));
    for (const node of nodes) {
      node.size--;
      node.svalues = node.svalues.map((s, i) => mul(s, factors[i]));
    }
    leaf.hashes.splice(at, 1);
    for (const node of nodes) this.put(node);
    // the highest internal node that fell to the join threshold becomes a leaf again
    const join = nodes.find((n) => !n.leaf && n.size <= this.params.joinThreshold);
    if (join) this.join(join);
    return true;
  }

  private split(node: PTreeNode) {
    const depth = node.prefix.length / this.params.bitQuantum;
    const children = node.prefix.children(this.params.bitQuantum).map((p) => this.emptyNode(p));
    for (const h of node.hashes) {
      const child = children[childIndex(h, depth, this.params.bitQuantum)];
      const x = elementFromHash(h);
      child.size++;
      child.svalues = child.svalues.map((s, i) => mul(s, sub(this.points[i], x)));
      child.hashes.push(h);
    }
    this.put({ ...node, leaf: false, hashes: [] });
    for (const c of children) {
      this.put(c);
      if (c.size > this.params.splitThreshold) this.split(c);
    }
  }

  private join(node: PTreeNode) {
    const hashes = this.hashes(node.prefix);
    this.deleteBelow(node.prefix);
    this.put({ ...node, leaf: true, hashes });
  }

  private deleteBelow(prefix: Bitstring) {
    for (const c of prefix.children(this.params.bitQuantum)) {
      const n = this.node(c);
      if (!n) continue;
      if (!n.leaf) this.deleteBelow(c);
      this.db.removeSync(nodeKey(c));
    }
  }

  hashes(prefix: Bitstring): Buffer[] {
    const n = this.nodeAt(prefix);
    if (!n) return [];
    if (n.leaf) return n.hashes;
    return prefix.children(this.params.bitQuantum).flatMap((c) => this.hashes(c));
  }

  /** Number of elements. */
  size(): number {
    return this.node(Bitstring.EMPTY)!.size;
  }

  /**
   * Replace the whole tree by one holding `hashes` (pbuild), built in memory from the sorted set:
   * a node with more than splitThreshold elements is internal, the rest are leaves — the same
   * shape incremental inserts give — and an internal node's svalues are the product of its
   * children's. Call inside a write transaction. Returns the number of distinct elements.
   */
  rebuild(hashes: Buffer[]): number {
    const sorted = [...hashes].sort(Buffer.compare).filter((h, i, a) => i === 0 || !h.equals(a[i - 1]));
    this.clear();
    const build = (prefix: Bitstring, lo: number, hi: number): bigint[] => {
      const size = hi - lo;
      if (size <= this.params.splitThreshold) {
        let sv = this.points.map(() => 1n);
        for (let i = lo; i < hi; i++) {
          const x = elementFromHash(sorted[i]);
          sv = sv.map((s, j) => mul(s, sub(this.points[j], x)));
        }
        this.put({ prefix, size, svalues: sv, leaf: true, hashes: sorted.slice(lo, hi) });
        return sv;
      }
      const depth = prefix.length / this.params.bitQuantum;
      let sv = this.points.map(() => 1n);
      let start = lo;
      prefix.children(this.params.bitQuantum).forEach((child, c) => {
        // sorted order: a child's elements are one contiguous run
        let end = start;
        while (end < hi && childIndex(sorted[end], depth, this.params.bitQuantum) === c) end++;
        const csv = build(child, start, end);
        sv = sv.map((s, j) => mul(s, csv[j]));
        start = end;
      });
      this.put({ prefix, size, svalues: sv, leaf: false, hashes: [] });
      return sv;
    };
    build(Bitstring.EMPTY, 0, sorted.length);
    return sorted.length;
  }

  /** Remove every node. Call inside a write transaction. */
  clear() {
    for (const k of this.db.getKeys()) this.db.removeSync(k as Buffer);
  }

  /**
   * Check the tree's own invariants: a leaf's svalues are the product over its elements and its
   * elements lie under its prefix; an internal node's size and svalues are the sum and product
   * of its children's. Returns the problems found (empty when consistent) and calls
   * `element` for every element, so the caller can compare the set with the key store.
   */
  check(element: (hash: Buffer) => void, maxProblems = 100): string[] {
    const problems: string[] = [];
    const visit = (prefix: Bitstring): PTreeNode | undefined => {
      const n = this.node(prefix);
      if (!n) {
        problems.push(`node ${prefix.toString() || '(root)'} is missing`);
        return undefined;
      }
      let size = 0;
      let sv = this.points.map(() => 1n);
      if (n.leaf) {
        for (const h of n.hashes) {
          if (!prefix.isPrefixOf(Bitstring.fromBytes(h, HASH_BYTES * 8))) problems.push(`element ${h.toString('hex')} is not under ${prefix.toString()}`);
          const x = elementFromHash(h);
          sv = sv.map((s, i) => mul(s, sub(this.points[i], x)));
          element(h);
        }
        size = n.hashes.length;
      } else {
        for (const c of prefix.children(this.params.bitQuantum)) {
          const child = visit(c);
          if (!child) continue;
          size += child.size;
          sv = sv.map((s, i) => mul(s, child.svalues[i]));
        }
      }
      const where = prefix.toString() || '(root)';
      if (size !== n.size) problems.push(`node ${where}: size ${n.size}, but ${size} elements below`);
      if (sv.some((s, i) => s !== n.svalues[i])) problems.push(`node ${where}: svalues do not match its elements`);
      return problems.length > maxProblems ? undefined : n;
    };
    visit(Bitstring.EMPTY);
    return problems;
  }
}
