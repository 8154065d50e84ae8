/**
 * Streamed reading of binary key files (docs/operations.md §4): whatever the window size, the
 * keys, their offsets and a framing error come out as splitKeyring gives them for the whole file.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyringError, KeyringEntry, KeyringError, splitKeyring } from '@dkeyserv/pgp';
import { streamKeyring } from '../src/key-stream';

const ROLE = readFileSync('/usr/share/keyrings/debian-role-keys.gpg');

/** Entries as comparable values: offset and packet bodies, or offset and error. */
function summary(entries: Iterable<KeyringEntry | KeyringError>): unknown[] {
  return [...entries].map((e) => (isKeyringError(e) ? { offset: e.offset, reason: e.error.reason, message: e.error.message } : { offset: e.offset, packets: e.packets.map((p) => [p.tag, p.body.toString('hex')]) }));
}

describe('streamKeyring', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-stream-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const streamed = (bytes: Buffer, chunk: number) => {
    const path = join(dir, 'f.gpg');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    try {
      return summary(streamKeyring(fd, chunk));
    } finally {
      closeSync(fd);
    }
  };

  test.each([1, 7, 100, 4096, 1 << 20])('a keyring read %i bytes at a time gives what splitKeyring gives', (chunk) => {
    expect(streamed(ROLE, chunk)).toEqual(summary(splitKeyring(ROLE)));
  });

  test('a truncated file: the keys before the cut, then the error at its file offset', () => {
    const cut = ROLE.subarray(0, ROLE.length - 100);
    const whole = summary(splitKeyring(cut));
    expect(whole.at(-1)).toMatchObject({ reason: 'truncated' });
    expect(streamed(cut, 64)).toEqual(whole);
  });

  test('a packet over the size limit is an error without reading the file to its end', () => {
    // old-format tag 6, four-octet length of 1 GiB
    const bad = Buffer.concat([ROLE, Buffer.from([0x9a, 0x40, 0, 0, 0]), Buffer.alloc(1000)]);
    expect(streamed(bad, 512)).toEqual(summary(splitKeyring(bad)));
  });

  test('an old-format packet of indeterminate length runs to the end of the file', () => {
    // tag 13 (User ID), length type 3
    const tail = Buffer.concat([Buffer.from([0xb7]), Buffer.alloc(5000, 0x41)]);
    const bytes = Buffer.concat([ROLE, tail]);
    expect(streamed(bytes, 256)).toEqual(summary(splitKeyring(bytes)));
  });
});
