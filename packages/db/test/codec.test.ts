import { readFileSync } from 'node:fs';
import { DEFAULT_KEY_LIMITS, DEFAULT_PACKET_LIMITS, isKeyringError, splitKeyring } from '@dkeyserv/pgp';
import { isRejection, KeyRecord, prepareKey, StoredFormatError } from '@dkeyserv/db';
import { decodeLogEntry, encodeLogEntry } from '../src/log-codec';
import { decodeRecord, encodeRecord } from '../src/record-codec';

function records(): KeyRecord[] {
  const out: KeyRecord[] = [];
  for (const e of splitKeyring(readFileSync('/usr/share/keyrings/debian-role-keys.gpg'))) {
    if (isKeyringError(e)) throw e.error;
    const p = prepareKey(e.packets, { policies: ['sks', 'hockeypuck'], limits: DEFAULT_KEY_LIMITS, packetLimits: DEFAULT_PACKET_LIMITS });
    if (isRejection(p)) continue;
    const r: KeyRecord = { fpr: p.fpr, version: p.version, hash: p.hash, packets: p.packets, created: p.created, firstSeen: 1_700_000_000_123, modified: 1_760_000_000_456, validity: p.validity };
    if (Object.keys(p.views).length) r.views = p.views;
    out.push(r);
  }
  return out;
}

/** Decoding must either succeed or fail with the typed error, never anything else. */
function decodesOrFailsTyped(fpr: Buffer, bytes: Buffer): boolean {
  try {
    decodeRecord(fpr, bytes);
    return true;
  } catch (e) {
    if (!(e instanceof StoredFormatError)) throw e;
    return false;
  }
}

describe('record codec', () => {
  const all = records();

  test('round-trips real keys, and views of every kind', () => {
    expect(all.length).toBeGreaterThan(2);
    const withViews: KeyRecord = {
      ...all[0],
      views: { hockeypuck: { hash: Buffer.alloc(16, 1), drop: [0, 3, 300] }, 'hockeypuck-2.4': { reason: 'no-uid', message: 'ünïcode' } },
      validity: { revoked: true, unsupported: 3, uids: [{ valid: true, revoked: false, created: 1_600_000_000, keyExpires: 86400 }, { valid: false, revoked: true }], subkeys: [] },
    };
    const unmodified: KeyRecord = {
      ...all[1],
      modified: all[1].firstSeen,
      created: 1_600_000_000,
      validity: { ...all[1].validity, uids: [{ valid: true, revoked: false, created: 1_500_000_000 }, { valid: true, revoked: false, created: 1_600_000_007, keyExpires: 0 }] },
    };
    expect(encodeRecord(unmodified).length).toBeLessThan(encodeRecord({ ...unmodified, modified: unmodified.firstSeen + 1 }).length);
    for (const r of [...all, withViews, unmodified]) {
      const bytes = encodeRecord(r);
      expect(decodeRecord(r.fpr, bytes)).toEqual(r);
      // the fingerprint is the LMDB key, not part of the value
      expect(bytes.length).toBeLessThan(r.packets.length + 80 + (r.views ? 200 : 0));
    }
  });

  test('the packets decode as a view into the stored value, without a copy', () => {
    const bytes = encodeRecord(all[0]);
    const r = decodeRecord(all[0].fpr, bytes);
    expect(r.packets.buffer).toBe(bytes.buffer);
  });

  test('damaged bytes fail with StoredFormatError: truncation, bad format, random corruption', () => {
    const r = all[0];
    const bytes = encodeRecord(r);
    const header = bytes.length - r.packets.length;
    for (let n = 0; n < header; n++) expect(decodesOrFailsTyped(r.fpr, bytes.subarray(0, n))).toBe(false);
    const other = Buffer.from(bytes);
    other[0] = 9;
    expect(() => decodeRecord(r.fpr, other)).toThrow(/unknown record format 9/);
    let seed = 1;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) {
      const d = Buffer.from(bytes.subarray(0, header + 4));
      for (let j = 0; j < 3; j++) d[Math.floor(rand() * header)] = Math.floor(rand() * 256);
      decodesOrFailsTyped(r.fpr, d);
    }
    // a huge count is refused before any allocation
    const huge = Buffer.concat([bytes.subarray(0, 1 + 1 + 1 + 17 + 4 + 6 + 6 + 1), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])]);
    expect(() => decodeRecord(r.fpr, huge)).toThrow(/count \d+ exceeds the bytes left/);
  });
});

describe('change-log codec', () => {
  test('round-trips and refuses damaged entries', () => {
    const e = { time: 1_760_000_000_456, fpr: Buffer.alloc(20, 0xab), updated: true };
    const bytes = encodeLogEntry(e);
    expect(bytes.length).toBe(28);
    expect(decodeLogEntry(1, bytes)).toEqual(e);
    expect(decodeLogEntry(2, encodeLogEntry({ ...e, updated: false })).updated).toBe(false);
    for (let n = 0; n <= 8; n++) expect(() => decodeLogEntry(3, bytes.subarray(0, n))).toThrow(StoredFormatError);
  });
});
