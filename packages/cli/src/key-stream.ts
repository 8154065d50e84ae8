/**
 * The keys of a binary key file (SKS dump, keyring) read through a window of a few MiB, so that
 * memory does not grow with the file (docs/operations.md §4). Keys are split as splitKeyring does
 * (a key starts at each public- or secret-key packet); offsets are the file's.
 *
 * The window grows only to hold one packet: up to the packet size limit, past which the packet
 * is an error as it would be in memory. An old-format packet of indeterminate length runs to the
 * end of the file (RFC 9580 §4.2.2.4), so the rest of the file is read for it, within the same
 * limit.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { DEFAULT_PACKET_LIMITS, KeyringEntry, KeyringError, PacketLimits, PgpError, readPacket, Tag } from '@dkeyserv/pgp';

/** The file, read window by window. */
class Window {
  buf = Buffer.alloc(0);
  /** file offset of buf[0] */
  start = 0;
  eof = false;

  constructor(
    private readonly fd: number,
    private readonly chunk: number,
  ) {}

  /** Keep buf[from..] and read at least one more chunk after it (fewer at the end of the file). */
  more(from: number): void {
    const keep = this.buf.length - from;
    const next = Buffer.allocUnsafe(keep + this.chunk);
    this.buf.copy(next, 0, from);
    let got = keep;
    while (got < next.length) {
      const n = readSync(this.fd, next, got, next.length - got, null);
      if (n === 0) {
        this.eof = true;
        break;
      }
      got += n;
    }
    this.start += from;
    this.buf = next.subarray(0, got);
  }
}

/** Indeterminate length: old-format header (bit 6 clear) with length type 3. */
function indeterminate(ctb: number): boolean {
  return (ctb & 0x40) === 0 && (ctb & 0x03) === 3;
}

/** The same error with its "at byte N" given as a file offset. */
function atFileOffset(e: PgpError, windowOffset: number, fileOffset: number): PgpError {
  if (windowOffset === fileOffset) return e;
  const Kind = e.constructor as new (reason: string, message: string) => PgpError;
  return new Kind(e.reason, e.message.split(`at byte ${windowOffset}`).join(`at byte ${fileOffset}`));
}

/**
 * Iterate the keys of the file open as `fd`, reading `chunk` bytes at a time. A framing error
 * ends the stream as in splitKeyring: the keys before it, then the error.
 */
export function* streamKeyring(fd: number, chunk: number, limits: PacketLimits = DEFAULT_PACKET_LIMITS): Generator<KeyringEntry | KeyringError> {
  const w = new Window(fd, chunk);
  // the most one packet needs: its body at the limit and the longest header (RFC 9580 §4.2)
  const maxPacket = limits.maxPacketBytes + 6;
  let pos = 0;
  let current: KeyringEntry | undefined;
  for (;;) {
    if (pos >= w.buf.length) {
      if (w.eof) break;
      w.more(pos);
      pos = 0;
      continue;
    }
    // an indeterminate-length packet takes the rest of the file: read it all (within the limit)
    if (indeterminate(w.buf[pos]) && !w.eof && w.buf.length - pos <= maxPacket) {
      w.more(pos);
      pos = 0;
      continue;
    }
    let r;
    try {
      r = readPacket(w.buf, pos, limits);
    } catch (e) {
      if (!(e instanceof PgpError)) throw e;
      // short only because the window ends here: read more and try again
      if (e.reason === 'truncated' && !w.eof && w.buf.length - pos <= maxPacket) {
        w.more(pos);
        pos = 0;
        continue;
      }
      if (current) yield current;
      yield { offset: w.start + pos, error: atFileOffset(e, pos, w.start + pos) };
      return;
    }
    const tag = r.packet.tag;
    if (!current || tag === Tag.PublicKey || tag === Tag.SecretKey) {
      if (current) yield current;
      current = { offset: w.start + pos, packets: [] };
    }
    current.packets.push(r.packet);
    pos = r.next;
  }
  if (current) yield current;
}

/** streamKeyring over the file at `path`, closing it however the iteration ends. */
export function* streamKeyFile(path: string, chunk: number, limits?: PacketLimits): Generator<KeyringEntry | KeyringError> {
  const fd = openSync(path, 'r');
  try {
    yield* streamKeyring(fd, chunk, limits);
  } finally {
    closeSync(fd);
  }
}
