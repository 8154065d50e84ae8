/**
 * One key's signature work is done once across its consumers (docs/architecture.md §9): the
 * stored validity and the Hockeypuck views ask for each public-key operation, the memo runs it
 * once, and the verdicts are those of a fresh check.
 */
import { normalizeKey, RECON_POLICIES, verifySelfSignatures } from '../src';
import { Packet } from '../src/packet';
import { VerifyMemo, verifyMemo } from '../src/verify/memo';
import * as operations from '../src/verify/verify';
import { encryptionSubkey, signature, signingKey, userId } from './helpers/ed25519-keys';

function testKey(version: 4 | 6, badBinding = false): Packet[] {
  const owner = signingKey(version);
  const uid = userId('Memo <memo@example.org>');
  const sub = encryptionSubkey(version);
  const binding = signature(owner, owner.packet, sub, { type: 0x18, keyFlags: 0x0c });
  if (badBinding) binding.body[binding.body.length - 1] ^= 1;
  return [owner.packet, uid, signature(owner, owner.packet, uid, { type: 0x13, keyFlags: 0x03 }), sub, binding];
}

describe('VerifyMemo', () => {
  afterEach(() => jest.restoreAllMocks());

  test.each([4, 6] as const)('v%i: validity and both Hockeypuck views run each public-key operation once', (version) => {
    const packets = testKey(version);
    const fresh = verifySelfSignatures(normalizeKey(packets, [4, 6]));
    const spy = jest.spyOn(operations, 'runOperation');
    const key = normalizeKey(packets, [4, 6]);
    const validity = verifySelfSignatures(key);
    const views = (['hockeypuck', 'hockeypuck-2.4'] as const).map((p) => RECON_POLICIES[p].view(key));
    expect(spy).toHaveBeenCalledTimes(2); // the certification and the binding
    expect(validity).toEqual(fresh);
    for (const v of views) expect('packets' in v && v.packets.length).toBe(5);
  });

  test('a failing signature is remembered as failing, for every consumer', () => {
    const key = normalizeKey(testKey(4, true), [4]);
    const spy = jest.spyOn(operations, 'runOperation');
    expect(verifySelfSignatures(key).subkeys[0].valid).toBe(false);
    const view = RECON_POLICIES.hockeypuck.view(key);
    expect('packets' in view && view.packets.length).toBe(3); // the subkey and its bad binding go
    expect(spy).toHaveBeenCalledTimes(2);
  });

  test('signers are built once per key body; bad material throws the same error each time', () => {
    const memo = new VerifyMemo();
    const body = signingKey(6).packet.body;
    expect(memo.signer(body)).toBe(memo.signer(body));
    const bad = Buffer.from(body.subarray(0, body.length - 1)); // native key one octet short
    let first: unknown;
    try {
      memo.signer(bad);
    } catch (e) {
      first = e;
    }
    expect(first).toBeDefined();
    expect(() => memo.signer(bad)).toThrow(first as Error);
  });

  test('the memo belongs to the parsed key', () => {
    const a = normalizeKey(testKey(4), [4]);
    const b = normalizeKey(testKey(4), [4]);
    expect(verifyMemo(a)).toBe(verifyMemo(a));
    expect(verifyMemo(a)).not.toBe(verifyMemo(b));
  });
});
