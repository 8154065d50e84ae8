/** The elements a session found missing here, as 16-byte SKS hashes, de-duplicated. */
import { elementToHash, isElement } from '../field';

const TWO_128 = 1n << 128n;

export class FoundSet {
  private readonly byHex = new Map<string, Buffer>();

  /** Add field elements from the peer; values that are no 128-bit hash are ignored (hostile). */
  addElements(elements: Iterable<bigint>): void {
    for (const x of elements) {
      if (!isElement(x) || x >= TWO_128) continue;
      const h = elementToHash(x);
      this.byHex.set(h.toString('hex'), h);
    }
  }

  get size(): number {
    return this.byHex.size;
  }

  hashes(): Buffer[] {
    return [...this.byHex.values()];
  }
}
