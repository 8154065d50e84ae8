import { StoredFormatError } from '@dkeyserv/db';
import { keyIdEntry, keyIdOfFingerprint, keyIdPrefix, parseKeyIdEntry } from '../src/keyid-index';

describe('the key-ID index layout', () => {
  const v4 = Buffer.from('52ce0b03e0624045f2520862e736fc18900a5c68', 'hex');
  const v6 = Buffer.from('cb186c4f0609a697e4d52dfa6c722b0c1f1e27c18a56708f6525ec27bad9acc9', 'hex');

  test('a v4 key ID is the last 8 bytes of the fingerprint, a v6 one the first 8; v3 implies none', () => {
    expect(keyIdOfFingerprint(v4)?.toString('hex')).toBe('e736fc18900a5c68');
    expect(keyIdOfFingerprint(v6)?.toString('hex')).toBe('cb186c4f0609a697');
    expect(keyIdOfFingerprint(Buffer.alloc(16))).toBeUndefined();
  });

  test('32- and 64-bit key IDs are prefixes of the entries; entries decode back', () => {
    const keyId = keyIdOfFingerprint(v4)!;
    const own = keyIdEntry({ keyId, fpr: v4 }, v4);
    expect(own.subarray(0, 4)).toEqual(keyId.subarray(4));
    expect(own.subarray(0, 8)).toEqual(keyIdPrefix(keyId));
    expect(keyIdPrefix(keyId.subarray(4))).toEqual(keyId.subarray(4));
    expect(parseKeyIdEntry(own)).toEqual({ keyId, primary: v4 });
    const subId = keyIdOfFingerprint(v6)!;
    expect(parseKeyIdEntry(keyIdEntry({ keyId: subId, fpr: v6 }, v4))).toEqual({ keyId: subId, primary: v4, subkey: v6 });
  });

  test('a damaged entry is a StoredFormatError', () => {
    const own = keyIdEntry({ keyId: keyIdOfFingerprint(v4)!, fpr: v4 }, v4);
    for (const bad of [own.subarray(0, 8), own.subarray(0, 20), Buffer.concat([own.subarray(0, 8), Buffer.from([0])])]) {
      expect(() => parseKeyIdEntry(bad)).toThrow(StoredFormatError);
    }
  });
});
