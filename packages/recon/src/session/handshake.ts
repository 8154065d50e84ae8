/**
 * The Config exchange (docs/recon.md §4): both sides write their Config, check the peer's (SKS's
 * rules), write a bare "passed" or "failed" + reason, then read the peer's status. A refusal
 * either way ends the session with the reason.
 *
 * The initiator writes its Config at once. The acceptor may first read the initiator's Config and
 * then choose its own (a node keeping several recon policies answers with the policy whose filters
 * the peer sent): SKS and conflux initiators write theirs without waiting for ours, so nobody waits
 * on anybody.
 *
 * The whole exchange has one deadline (docs/recon.md §11). A peer that misses it is told why
 * where the protocol has room: a bare "failed" status when it next reads our status, else an
 * `Error` message. Unreadable bytes are not answered: the connection is closed.
 */
import { checkConfig, ConfigMessage, configMessage, encodeConfigStatus, parseConfig, PeerConfig, ReconConfig } from '../messages/config';
import { ReconConfigError } from '../errors';
import { ReconConnection, ReconDeadlineError } from './connection';

export interface ConfigExchange {
  peer: PeerConfig;
  /** the peer's Config as sent (entry order tells SKS from conflux) */
  remote: ConfigMessage;
  /** what we sent */
  local: ReconConfig;
}

/**
 * `local` is our Config, or (acceptor) a function choosing it from the peer's Config, which is then
 * read first.
 */
export async function exchangeConfig(conn: ReconConnection, local: ReconConfig | ((remote: ConfigMessage) => ReconConfig), timeoutMs: number): Promise<ConfigExchange> {
  const deadline = Date.now() + timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  let ours = typeof local === 'function' ? undefined : local;
  if (ours) {
    conn.write(configMessage(ours));
    conn.flush();
  }
  // the initiator's peer reads our status next (a bare string); the acceptor's, our Config (a message)
  const remote = await told(conn.readMessage(left()), conn, ours ? 'status' : 'message');
  if (remote.type !== 'Config') throw new ReconConfigError(`expected Config, got ${remote.type}`);
  if (!ours) {
    ours = (local as (remote: ConfigMessage) => ReconConfig)(remote);
    conn.write(configMessage(ours));
    conn.flush();
  }
  const status = checkConfig(ours, remote);
  conn.writeRaw(encodeConfigStatus(status));
  conn.flush();
  if (!status.passed) throw new ReconConfigError(`refused the peer's config: ${status.reason}`, remote);
  const theirs = await told(conn.readStatus(left()), conn, 'message');
  if (!theirs.passed) throw new ReconConfigError(`the peer refused our config: ${theirs.reason}`, remote);
  const peer = parseConfig(remote);
  if (peer.httpPort === undefined) throw new ReconConfigError('the peer sent no http port', remote);
  return { peer, remote, local: ours };
}

/** A read that missed the deadline: tell the peer in the form it reads next, then fail the same. */
async function told<T>(read: Promise<T>, conn: ReconConnection, next: 'status' | 'message'): Promise<T> {
  try {
    return await read;
  } catch (e) {
    if (!(e instanceof ReconDeadlineError)) throw e;
    const reason = (e as Error).message;
    if (next === 'status') conn.writeRaw(encodeConfigStatus({ passed: false, reason }));
    else conn.write({ type: 'Error', text: reason });
    conn.flush();
    throw e;
  }
}
