import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dearmor, isKeyringError, normalizeKey, sksKeyHash, splitKeyring } from '@dkeyserv/pgp';

// the two public test keys of Hockeypuck's own tests and their SKS key hashes (docs/sks-key-hash.md §8)
const VECTORS = [
  { file: 'sksdigest-cc5112bdce353cf4.asc', keyId: 'cc5112bdce353cf4', tags: [6, 13, 2, 14, 2], hash: 'da84f40d830a7be2a3c0b7f2e146bfaa' },
  { file: 'sksdigest-gentoo-l1.asc', keyId: '2839fe0d796198b1', tags: [6, 2, 2, 2, 2, 13, ...Array(13).fill(2)], hash: '0fa4cd2df7ede287ac0b7a608bf30faa' },
];

describe('SKS key hash vectors', () => {
  for (const v of VECTORS) {
    test(v.file, () => {
      const blocks = dearmor(readFileSync(join(__dirname, '../../../test-fixtures/vectors', v.file), 'utf8'));
      expect(blocks).toHaveLength(1);
      const entries = [...splitKeyring(blocks[0].data)];
      expect(entries).toHaveLength(1);
      const entry = entries[0];
      if (isKeyringError(entry)) throw entry.error;
      expect(entry.packets.map((p) => p.tag).sort()).toEqual([...v.tags].sort());
      const key = normalizeKey(entry.packets);
      expect(key.keyId.toString('hex')).toBe(v.keyId);
      expect(sksKeyHash(key).toString('hex')).toBe(v.hash);
    });
  }
});
