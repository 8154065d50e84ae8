/**
 * Typed errors of @dkeyserv/quorum. Each carries a short machine-friendly `reason` and a one-line
 * message a user can act on (the CLI prints it without a stack trace).
 */
export class QuorumError extends Error {
  constructor(
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The node key file cannot be used: `insecure-permissions` (group/other bits set),
 * `not-ed25519`, `unreadable` (not a PEM private key, encrypted, I/O error), `not-a-file`.
 */
export class IdentityError extends QuorumError {}

/** A peer-set policy that does not validate; the message names the offending field. */
export class PolicyError extends QuorumError {}

/** Bytes or JSON that do not decode strictly: statements, attestations, proof bundles. */
export class MalformedError extends QuorumError {
  constructor(message: string) {
    super('malformed', message);
  }
}
