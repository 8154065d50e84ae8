/**
 * Typed errors of @dkeyserv/recon. Every error this package throws on purpose is a
 * {@link ReconError}, so a caller can tell a failed session, a hostile peer's bytes or a refused
 * hashquery from a bug with one `instanceof`; the subclasses say which, and some carry a short
 * machine-friendly `reason`.
 *
 * ```
 * ReconError
 * ├── ReconProtocolError   malformed or over-limit wire input (reason: ProtocolFailure)
 * ├── ReconSessionError    a session that cannot go on (peer closed, silent, unexpected message)
 * │   └── ReconConfigError the Config exchange failed or was refused
 * ├── DecodeError          a ReconRqstPoly that does not decode (reason: DecodeFailure)
 * │   └── LowMBarError     more differences than the samples carry
 * └── HashQueryError       a hashquery that failed or answered out of bounds
 * ```
 */
import type { ConfigMessage } from './messages/config';

/** The base of every error @dkeyserv/recon throws on purpose. */
export class ReconError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Why a peer's bytes were rejected. */
export type ProtocolFailure =
  | 'frame-length' // L is 0 or above maxFrameLength
  | 'unknown-message' // a type code we do not accept (including DbRqst/DbRepl)
  | 'truncated' // a field runs past the end of the frame or stream
  | 'trailing-bytes' // bytes left in a frame after its payload
  | 'limit' // a count or length above a configured limit
  | 'element' // a ZZp value ≥ p
  | 'bitstring' // byte length inconsistent with the bit length
  | 'config' // a Config value of the wrong shape
  | 'status'; // a config status string other than passed/failed

/** Malformed or over-limit recon input. Fatal for the session. */
export class ReconProtocolError extends ReconError {
  constructor(
    readonly reason: ProtocolFailure,
    message: string,
  ) {
    super(message);
  }
}

/** A recon session that cannot go on: the peer closed or went silent, or sent what the protocol does not allow. */
export class ReconSessionError extends ReconError {}

/** The Config exchange failed: no Config, a Config refused by either side, no http port. */
export class ReconConfigError extends ReconSessionError {
  /** the peer's Config, when it arrived (it says which filters the peer runs) */
  readonly remote?: ConfigMessage;

  constructor(message: string, remote?: ConfigMessage) {
    super(message);
    this.remote = remote;
  }
}

/** Why a decode failed. */
export type DecodeFailure =
  | 'degree-difference' // |d| > mbar (SKS: Interpolation_failure, mapped to Low_mbar)
  | 'no-solution' // the linear system is inconsistent
  | 'check-point' // the rational function misses the check point (docs/recon.md §8 step 3)
  | 'factor-check' // num or den does not split into distinct linear factors (step 4)
  | 'root-finding'; // root finding gave up (bounded; should not happen after the factor check)

/** A failed decode. */
export class DecodeError extends ReconError {
  constructor(
    readonly reason: DecodeFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The set difference is larger than the node's samples can carry ("low mbar"). Our responder
 * answers SyncFail (docs/recon.md §7). `reconcile` never returns a
 * wrong answer instead of throwing this.
 */
export class LowMBarError extends DecodeError {}

/** A hashquery that failed: an HTTP error, a timeout, or an answer out of bounds. */
export class HashQueryError extends ReconError {}
