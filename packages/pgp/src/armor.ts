/**
 * ASCII armor (RFC 9580 §6). Input: every armored block of a text, CRC-24 checked when present.
 * Output: a public key block with a CRC line, as gpg and SKS emit it.
 */
import { ArmorError } from './errors';

const CRC24_INIT = 0xb704ce;
const CRC24_POLY = 0x1864cfb;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 16;
    for (let j = 0; j < 8; j++) {
      c <<= 1;
      if (c & 0x1000000) c ^= CRC24_POLY;
    }
    t[i] = c & 0xffffff;
  }
  return t;
})();

/** CRC-24 of RFC 9580 §6.1. */
export function crc24(data: Uint8Array): number {
  let crc = CRC24_INIT;
  for (let i = 0; i < data.length; i++) crc = ((crc << 8) & 0xffffff) ^ CRC_TABLE[((crc >> 16) ^ data[i]) & 0xff];
  return crc & 0xffffff;
}

export interface ArmorBlock {
  /** the word(s) after BEGIN PGP, e.g. "PUBLIC KEY BLOCK" */
  type: string;
  headers: [string, string][];
  data: Buffer;
}

// Armor is attacker input (docs/architecture.md §8): these patterns are anchored and each
// quantifier is followed by a character it cannot match, so a failed match never backtracks into
// another quantifier and a line is read in linear time (packages/pgp/test/fuzz/armor.test.ts).
const BEGIN = /^-----BEGIN PGP ([A-Z0-9 ,/]+)-----\s*$/;
const END = /^-----END PGP ([A-Z0-9 ,/]+)-----\s*$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const HEADER = /^[A-Za-z][A-Za-z0-9-]*: /;

/**
 * True if the buffer is armored text rather than binary packets: binary OpenPGP always starts
 * with a byte that has bit 7 set; text has a BEGIN line somewhere near the start.
 */
export function looksArmored(buf: Buffer): boolean {
  if (buf.length === 0 || (buf[0] & 0x80) !== 0) return false;
  return buf.indexOf('-----BEGIN PGP', 0, 'latin1') >= 0;
}

/**
 * Decode every armored block in `text`. Text outside blocks is ignored (clients paste keys
 * with surrounding prose). Throws ArmorError for a block with bad base64, a CRC mismatch or no END.
 */
export function dearmor(text: string): ArmorBlock[] {
  const lines = text.split(/\r?\n|\r/);
  const blocks: ArmorBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = BEGIN.exec(lines[i].trim());
    i++;
    if (!m) continue;
    const type = m[1];
    const headers: [string, string][] = [];
    // Armor headers run to the first blank line; a block without headers may omit the blank line.
    while (i < lines.length && HEADER.test(lines[i])) {
      const at = lines[i].indexOf(': ');
      headers.push([lines[i].slice(0, at), lines[i].slice(at + 2)]);
      i++;
    }
    if (i < lines.length && lines[i].trim() === '') i++;
    const body: string[] = [];
    let crc: string | undefined;
    let ended = false;
    for (; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      const e = END.exec(line);
      if (e) {
        if (e[1] !== type) throw new ArmorError('bad-armor', `armor block BEGIN PGP ${type} ends with END PGP ${e[1]}`);
        ended = true;
        i++;
        break;
      }
      if (line.length === 5 && line[0] === '=') {
        crc = line.slice(1);
        continue;
      }
      if (!BASE64_LINE.test(line)) throw new ArmorError('bad-armor', `armor line ${i + 1} is not base64`);
      body.push(line);
    }
    if (!ended) throw new ArmorError('bad-armor', `armor block BEGIN PGP ${type} has no END line`);
    const b64 = body.join('');
    if (b64.length % 4 === 1) throw new ArmorError('bad-armor', 'armor base64 has a bad length');
    const data = Buffer.from(b64, 'base64');
    if (crc !== undefined) {
      const want = Buffer.from(crc, 'base64');
      if (want.length !== 3) throw new ArmorError('bad-crc', 'armor checksum line is malformed');
      if (want.readUIntBE(0, 3) !== crc24(data)) throw new ArmorError('bad-crc', 'armor checksum (CRC-24) does not match the data');
    }
    blocks.push({ type, headers, data });
  }
  return blocks;
}

/** Armor `data` as a PGP PUBLIC KEY BLOCK with 64-column lines and a CRC-24 line; ends with a newline. */
export function armor(data: Buffer, type = 'PUBLIC KEY BLOCK', headers: [string, string][] = []): string {
  const b64 = data.toString('base64');
  const parts: string[] = [`-----BEGIN PGP ${type}-----`];
  for (const [k, v] of headers) parts.push(`${k}: ${v}`);
  parts.push('');
  for (let i = 0; i < b64.length; i += 64) parts.push(b64.slice(i, i + 64));
  const c = crc24(data);
  parts.push('=' + Buffer.from([c >> 16, (c >> 8) & 0xff, c & 0xff]).toString('base64'));
  parts.push(`-----END PGP ${type}-----`, '');
  return parts.join('\n');
}
