/**
 * Test helpers around a real GnuPG: a throw-away home directory, running gpg in it, cleaning up
 * (agents included), and reading `--with-colons` listings (doc/DETAILS in GnuPG). Shared by
 * @dkeyserv/pgp's verification tests and the HKP end-to-end tests.
 *
 * gpg never talks to the network here: nothing imports from or sends to a keyserver, and every
 * home directory is fresh, so no gpg.conf can ask for it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface GpgResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Placeholder in GpgHome.edit() answers for the home's passphrase prompt. */
export const PASSPHRASE = '\u0000passphrase';

/** The first line of `gpg --version`, e.g. "gpg (GnuPG) 2.2.40". */
export function gpgVersion(): string {
  return spawnSync('gpg', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0];
}

/** A fresh GnuPG home under os.tmpdir(). Call cleanup() when done (kills its agent, removes it). */
export class GpgHome {
  readonly dir: string;

  /**
   * @param passphrase protects the secret keys made here ('' = none). gpg reads it from
   *   --passphrase, or from the command fd in edit() scripts, where an empty answer is refused.
   */
  constructor(readonly passphrase = '', prefix = 'dkeyserv-gpg-') {
    // short names: gpg-agent's socket path must fit in sockaddr_un
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  /** Run gpg with this home; never throws on a non-zero exit. */
  run(args: readonly string[], input?: Buffer | string): GpgResult {
    const r = spawnSync('gpg', ['--homedir', this.dir, '--batch', '--no-tty', '--no-auto-check-trustdb', ...args], {
      input,
      env: { ...process.env, GNUPGHOME: this.dir, LC_ALL: 'C', LANG: 'C' },
      maxBuffer: 512 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
  }

  /** Run gpg and return stdout; throws with gpg's stderr on a non-zero exit. */
  gpg(args: readonly string[], input?: Buffer | string): Buffer {
    const r = this.run(args, input);
    if (r.status !== 0) throw new Error(`gpg ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
    return r.stdout;
  }

  /** Run gpg with the loopback pinentry answering this home's passphrase (key generation, signing). */
  secret(args: readonly string[]): Buffer {
    return this.gpg(['--pinentry-mode', 'loopback', '--passphrase', this.passphrase, ...args]);
  }

  /** `--quick-gen-key uid algo usage never`; returns the new key's fingerprint. */
  genKey(uid: string, algo: string, usage = 'sign'): string {
    const status = this.secret(['--status-fd', '1', '--quick-gen-key', uid, algo, usage, 'never']);
    const m = /^\[GNUPG:\] KEY_CREATED [BP] ([0-9A-F]{40,64})$/m.exec(status.toString('utf8'));
    if (!m) throw new Error(`gpg did not report the new key:\n${status.toString('utf8')}`);
    return m[1];
  }

  /** `--quick-add-key fpr algo usage never`: a subkey with its binding signature. */
  addSubkey(fpr: string, algo: string, usage: string): void {
    this.secret(['--quick-add-key', fpr, algo, usage, 'never']);
  }

  /** `--export`: the transferable public key(s), binary. */
  exportKey(fpr: string): Buffer {
    return this.gpg(['--export', fpr]);
  }

  /**
   * Run an `--edit-key` session driven by `answers`, one per prompt line in order (gpg's
   * --command-fd protocol); PASSPHRASE stands for this home's passphrase.
   */
  edit(fpr: string, answers: readonly string[]): void {
    const script = answers.map((a) => (a === PASSPHRASE ? this.passphrase : a)).join('\n') + '\n';
    this.gpg(['--pinentry-mode', 'loopback', '--command-fd', '0', '--status-fd', '2', '--edit-key', fpr], script);
  }

  /** Stop this home's gpg-agent (and any other daemon) and delete the directory. */
  cleanup(): void {
    spawnSync('gpgconf', ['--homedir', this.dir, '--kill', 'all'], { env: { ...process.env, GNUPGHOME: this.dir } });
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A `sig` or `rev` record of a `--check-sigs` / `--list-sigs` listing. */
export interface GpgSig {
  record: 'sig' | 'rev';
  /** field 2: '!' good, '-' bad, '?' no key, '%' error; empty without --check-sigs */
  validity: string;
  /** field 5: issuer key ID, upper-case hex */
  issuer: string;
  /** field 11: the signature class (0x13 for "13x") */
  sigClass: number;
}

export interface GpgComponent {
  kind: 'uid' | 'uat' | 'sub';
  /** field 2 of the record (validity: '-', 'e', 'r', ...) */
  validity: string;
  /** uid: the User ID as bytes in a latin1 string (escapes undone); uat: "count size"; sub: fingerprint */
  id: string;
  sigs: GpgSig[];
}

export interface GpgKey {
  /** upper-case hex */
  fingerprint: string;
  keyId: string;
  validity: string;
  /** signatures between the pub record and the first uid */
  directSigs: GpgSig[];
  uids: GpgComponent[];
  subkeys: GpgComponent[];
}

/** Undo gpg's C-style escaping of colon-listing fields (\xNN, \n, \\, …). Works on latin1 strings. */
export function unescapeColonField(s: string): string {
  const simple: Record<string, string> = { n: '\n', r: '\r', f: '\f', v: '\v', b: '\b', '0': '\0', '\\': '\\' };
  return s.replace(/\\(x[0-9a-fA-F]{2}|[nrfvb0\\])/g, (_, e: string) => (e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : simple[e]));
}

/**
 * Parse a `--with-colons` key listing (run with --with-subkey-fingerprints so every `sub` has its
 * `fpr`). The output is read as latin1 so User ID bytes survive unchanged.
 */
export function parseColons(stdout: Buffer): GpgKey[] {
  const keys: GpgKey[] = [];
  let key: GpgKey | undefined;
  let comp: GpgComponent | undefined;
  let wantFpr: 'key' | 'sub' | undefined;
  for (const line of stdout.toString('latin1').split('\n')) {
    const f = line.split(':');
    switch (f[0]) {
      case 'pub':
        key = { fingerprint: '', keyId: f[4], validity: f[1], directSigs: [], uids: [], subkeys: [] };
        keys.push(key);
        comp = undefined;
        wantFpr = 'key';
        break;
      case 'fpr':
        if (key && wantFpr === 'key') key.fingerprint = f[9];
        else if (comp && wantFpr === 'sub') comp.id = f[9];
        wantFpr = undefined;
        break;
      case 'uid':
      case 'uat':
        if (!key) break;
        comp = { kind: f[0], validity: f[1], id: f[0] === 'uid' ? unescapeColonField(f[9]) : f[9], sigs: [] };
        key.uids.push(comp);
        wantFpr = undefined;
        break;
      case 'sub':
        if (!key) break;
        comp = { kind: 'sub', validity: f[1], id: '', sigs: [] };
        key.subkeys.push(comp);
        wantFpr = 'sub';
        break;
      case 'sig':
      case 'rev': {
        if (!key) break;
        const sig: GpgSig = { record: f[0], validity: f[1], issuer: f[4], sigClass: parseInt(f[10].slice(0, 2), 16) };
        (comp ? comp.sigs : key.directSigs).push(sig);
        break;
      }
    }
  }
  return keys;
}
