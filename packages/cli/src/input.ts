/**
 * Reading key files for import: SKS dump files (*.pgp), binary keyrings (*.gpg), armored files
 * (*.asc, or any file that starts with an armor line), and directories of them. Binary files are
 * streamed (key-stream.ts); armored ones, rare and small, are decoded whole.
 */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dearmor, looksArmored, splitKeyring, KeyringEntry, KeyringError } from '@dkeyserv/pgp';
import { CliError } from './errors';
import { streamKeyFile } from './key-stream';

const KEY_FILE = /\.(pgp|gpg|asc|key|pub)$/i;
/** an armored (text) file larger than this is refused: it is decoded whole; binary files are streamed */
export const MAX_TEXT_FILE_BYTES = 256 * 1024 * 1024;
/** bytes read at a time from a binary file */
export const DEFAULT_READ_CHUNK = 4 * 1024 * 1024;

export interface InputFile {
  path: string;
  size: number;
}

/** Expand arguments into files: a directory contributes its key files, sorted by name. */
export function listInputs(args: string[]): InputFile[] {
  const out: InputFile[] = [];
  for (const arg of args) {
    let st;
    try {
      st = statSync(arg);
    } catch (e) {
      throw new CliError(`${arg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
    if (st.isDirectory()) {
      const names = readdirSync(arg).filter((n) => KEY_FILE.test(n)).sort();
      if (names.length === 0) throw new CliError(`${arg}: directory holds no key files (*.pgp, *.gpg, *.asc, *.key)`);
      for (const n of names) out.push({ path: join(arg, n), size: statSync(join(arg, n)).size });
    } else {
      out.push({ path: arg, size: st.size });
    }
  }
  return out;
}

/** The keys of one file, in order; a file-level problem comes out as a KeyringError. */
export function* readKeyFile(file: InputFile, readChunk: number = DEFAULT_READ_CHUNK): Generator<KeyringEntry | KeyringError> {
  let first: number;
  try {
    first = firstByte(file.path);
  } catch (e) {
    throw new CliError(`${file.path}: ${(e as Error).message}`);
  }
  if (first < 0) throw new CliError(`${file.path}: empty file`);
  // binary packets: streamed through a window, whatever the file's size (key-stream.ts)
  if (first & 0x80) {
    try {
      yield* streamKeyFile(file.path, readChunk);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === undefined) throw e;
      throw new CliError(`${file.path}: ${(e as Error).message}`);
    }
    return;
  }
  // text: armored blocks are decoded from the whole file
  if (file.size > MAX_TEXT_FILE_BYTES) throw new CliError(`${file.path}: ${file.size} bytes is over the ${MAX_TEXT_FILE_BYTES}-byte limit for one armored file; split it`);
  let buf: Buffer;
  try {
    buf = readFileSync(file.path);
  } catch (e) {
    throw new CliError(`${file.path}: ${(e as Error).message}`);
  }
  if (!looksArmored(buf)) throw new CliError(`${file.path}: not an OpenPGP file (neither packets nor armor)`);
  const blocks = dearmor(buf.toString('latin1'));
  if (blocks.length === 0) throw new CliError(`${file.path}: no armored OpenPGP block found`);
  for (const b of blocks) yield* splitKeyring(b.data);
}

/** The file's first octet, or -1 when it is empty. */
function firstByte(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    return readSync(fd, b, 0, 1, 0) === 1 ? b[0] : -1;
  } finally {
    closeSync(fd);
  }
}
