/**
 * The Config exchange (spec/recon.md §4.1): both sides write their Config at once, check the
 * peer's (SKS's rules, §4.3), write a bare "passed" or "failed" + reason, then read the peer's
 * status. A refusal either way ends the session with the reason.
 */
import { checkConfig, configMessage, encodeConfigStatus, parseConfig, PeerConfig, ReconConfig } from '../messages/config';
import { ReconConnection, ReconSessionError } from './connection';

export class ReconConfigError extends ReconSessionError {}

export async function exchangeConfig(conn: ReconConnection, local: ReconConfig, timeoutMs: number): Promise<PeerConfig> {
  conn.write(configMessage(local));
  conn.flush();
  const remote = await conn.readMessage(timeoutMs);
  if (remote.type !== 'Config') throw new ReconConfigError(`expected Config, got ${remote.type}`);
  const status = checkConfig(local, remote);
  conn.writeRaw(encodeConfigStatus(status));
  conn.flush();
  if (!status.passed) throw new ReconConfigError(`refused the peer's config: ${status.reason}`);
  const theirs = await conn.readStatus(timeoutMs);
  if (!theirs.passed) throw new ReconConfigError(`the peer refused our config: ${theirs.reason}`);
  const peer = parseConfig(remote);
  if (peer.httpPort === undefined) throw new ReconConfigError('the peer sent no http port');
  return peer;
}
