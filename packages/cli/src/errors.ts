/** Errors a user can cause: printed as one line, never a stack trace (docs/operations.md §2). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = new.target.name;
  }
}

/** Wrong arguments: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The disk holding the data directory is full, or too nearly full to write safely: exit code 1. */
export class DiskFullError extends CliError {}

/**
 * What the system says when the operator's setup is wrong (a full disk, a missing or unwritable
 * path, a port in use), as one line; undefined for anything else, which stays an internal error
 * with its stack (docs/operations.md §2).
 */
export function operatorError(e: unknown): CliError | undefined {
  if (!(e instanceof Error)) return undefined;
  const code = (e as NodeJS.ErrnoException).code;
  const detail = oneLine(e.message);
  if (code === 'ENOSPC' || code === 'EDQUOT' || /MDB_MAP_FULL|No space left on device/i.test(e.message)) return new DiskFullError(`disk full: ${detail}`);
  if (code === 'EIO' || /^Input\/output error$/.test(e.message)) return new CliError(`I/O error writing the data directory (is the disk full or failing?): ${detail}`);
  const what = code ? SYSTEM_ERRORS[code] : undefined;
  return what ? new CliError(`${what}: ${detail}`) : undefined;
}

const SYSTEM_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available',
};

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
