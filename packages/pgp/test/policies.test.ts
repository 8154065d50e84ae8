import { readFileSync } from 'node:fs';
import {
  encodePacket,
  isExcluded,
  isKeyringError,
  normalizeKey,
  policyForFilters,
  RECON_POLICIES,
  RECON_POLICY_NAMES,
  reconPolicy,
  sksKeyHash,
  splitKeyring,
  storedVersions,
} from '@dkeyserv/pgp';

// docs/recon-policies.md; the filter strings are the ones Hockeypuck 2.3 and 2.4 send, byte for byte
const HP_23 =
  'drop:UAT,drop:hardRevokedCruft,drop:implausible,drop:invalidSelfSig,drop:structuralMartian,drop:unbound,drop:unparseable,schema:application/pgp-keys,versions:34,yminsky.dedup,yminsky.merge';
const HP_24 =
  'drop:UAT,drop:hardRevokedCruft,drop:implausible,drop:invalidSelfSig,drop:oldSlhdsaSelfSig,drop:structuralMartian,drop:unbound,drop:unparseable,schema:application/pgp-keys,versions:3+4+6+rfc9980,yminsky.dedup,yminsky.merge';

describe('recon policies', () => {
  test('each advertises the exact filter string of the software that runs it', () => {
    expect(RECON_POLICY_NAMES).toEqual(['sks', 'hockeypuck', 'hockeypuck-2.4']);
    expect(RECON_POLICIES.sks.filters).toBe('yminsky.dedup,yminsky.merge');
    expect(RECON_POLICIES.hockeypuck.filters).toBe(HP_23);
    expect(RECON_POLICIES['hockeypuck-2.4'].filters).toBe(HP_24);
  });

  test('a peer picks the policy by its filters: SKS compares sets, Hockeypuck whole strings', () => {
    const all = RECON_POLICY_NAMES;
    expect(policyForFilters(all, 'yminsky.dedup,yminsky.merge')?.name).toBe('sks');
    expect(policyForFilters(all, 'yminsky.merge,yminsky.dedup')?.name).toBe('sks');
    expect(policyForFilters(all, 'yminsky.dedup')).toBeUndefined();
    expect(policyForFilters(all, HP_23)?.name).toBe('hockeypuck');
    expect(policyForFilters(all, HP_24)?.name).toBe('hockeypuck-2.4');
    // one byte off, or reordered: Hockeypuck refuses it, so do we
    expect(policyForFilters(all, HP_23.replace('versions:34', 'versions:35'))).toBeUndefined();
    expect(policyForFilters(all, HP_23.split(',').reverse().join(','))).toBeUndefined();
    // only the policies kept count
    expect(policyForFilters(['sks'], HP_23)).toBeUndefined();
  });

  test('names, and the key versions a set of policies stores', () => {
    expect(reconPolicy('hockeypuck').name).toBe('hockeypuck');
    expect(() => reconPolicy('hockeypuck-2.3')).toThrow(/unknown recon policy 'hockeypuck-2.3'/);
    expect(storedVersions(['sks'])).toEqual([2, 3, 4]);
    // Hockeypuck 2.3 advertises versions:34 yet holds v6 keys (its library reads them)
    expect(storedVersions(['sks', 'hockeypuck'])).toEqual([2, 3, 4, 6]);
    expect(storedVersions(['hockeypuck-2.4'])).toEqual([2, 3, 4, 6]);
  });

  test('the sks view is the whole stored key; a version it cannot hash is excluded with the reason', () => {
    const [entry] = splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'));
    if (isKeyringError(entry)) throw entry.error;
    const key = normalizeKey(entry.packets);
    const v = RECON_POLICIES.sks.view(key);
    if (isExcluded(v)) throw new Error(v.message);
    expect(v.hash.equals(sksKeyHash(key))).toBe(true);
    const v6 = { ...key, version: 6 };
    expect(RECON_POLICIES.sks.view(v6)).toMatchObject({ reason: 'unsupported-version' });
    // a v6 key is stored only when a kept policy hashes v6 keys
    const v6body = Buffer.concat([Buffer.from([6, 0, 0, 0, 1, 27, 0, 0, 0, 32]), Buffer.alloc(32, 7)]);
    expect(() => normalizeKey([encodePacket(6, v6body)])).toThrow(/v6 keys are not stored/);
  });
});
