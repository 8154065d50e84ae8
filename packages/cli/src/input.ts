/**
 * Reading key files for import: SKS dump files (*.pgp), binary keyrings (*.gpg), armored files
 * (*.asc, or any file that starts with an armor line), and directories of them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { dearmor, looksArmored, splitKeyring, KeyringEntry, KeyringError } from '@dkeyserv/pgp';
import { CliError } from './errors';

const KEY_FILE = /\.(pgp|gpg|asc|key|pub)$/i;
/** a single input file larger than this is refused (Buffer limits; split dumps are ~100 MB) */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;

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
export function* readKeyFile(file: InputFile): Generator<KeyringEntry | KeyringError> {
  if (file.size > MAX_FILE_BYTES) throw new CliError(`${file.path}: ${file.size} bytes is over the ${MAX_FILE_BYTES}-byte limit for one file; split it`);
  let buf: Buffer;
  try {
    buf = readFileSync(file.path);
  } catch (e) {
    throw new CliError(`${file.path}: ${(e as Error).message}`);
  }
  if (buf.length === 0) throw new CliError(`${file.path}: empty file`);
  if (looksArmored(buf)) {
    const blocks = dearmor(buf.toString('latin1'));
    if (blocks.length === 0) throw new CliError(`${file.path}: no armored OpenPGP block found`);
    for (const b of blocks) yield* splitKeyring(b.data);
    return;
  }
  if ((buf[0] & 0x80) === 0) throw new CliError(`${file.path}: not an OpenPGP file (neither packets nor armor)`);
  yield* splitKeyring(buf);
}

