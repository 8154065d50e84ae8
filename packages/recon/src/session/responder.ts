/**
 * The responder role (the TCP initiator, docs/recon.md §1, §7, SKS server.ml): answer each request
 * in order — decode a Poly request into the set differences, or answer SyncFail when it does not
 * decode; compare Full requests directly — and flush the answers on Flush, until Done. Requests
 * for prefixes below our leaves (the requester's tree is deeper there) are answered from the true
 * sub-prefix (`ReconTree.nodeAt`).
 */
import { div, elementFromHash } from '../field';
import { reconcile } from '../decode';
import { LowMBarError, ReconSessionError } from '../errors';
import { SYNC_FAIL } from '../messages/sync-fail';
import { ReconTree } from '../ptree/prefix-tree';
import { ReconConnection } from './connection';
import { FoundSet } from './found';

export interface ResponderOptions {
  /** deadline for each request, ms */
  requestTimeoutMs: number;
  /** most messages in one session */
  maxMessages: number;
}

export const DEFAULT_RESPONDER_OPTIONS: ResponderOptions = { requestTimeoutMs: 60_000, maxMessages: 2_000_000 };

export async function runResponder(conn: ReconConnection, tree: ReconTree, found: FoundSet, opts: ResponderOptions = DEFAULT_RESPONDER_OPTIONS): Promise<void> {
  for (let n = 0; ; n++) {
    if (n > opts.maxMessages) throw new ReconSessionError(`more than ${opts.maxMessages} messages in one session`);
    const msg = await conn.readMessage(opts.requestTimeoutMs);
    switch (msg.type) {
      case 'ReconRqstPoly': {
        const node = tree.nodeAt(msg.prefix);
        if (!node) return refuse(conn, 'server should never receive request for non-existant node (ReconRqst_Poly)');
        if (msg.samples.length !== node.svalues.length) return refuse(conn, `Poly request with ${msg.samples.length} samples, not ${node.svalues.length}`);
        try {
          const values = msg.samples.map((s, i) => div(s, node.svalues[i]));
          const r = reconcile(values, tree.points, msg.size - node.size);
          conn.write({ type: 'Elements', elements: r.localOnly });
          found.addElements(r.remoteOnly);
        } catch (e) {
          if (!(e instanceof LowMBarError)) throw e;
          // Never FullElements (SKS's answer for a small node): conflux's requester drops the
          // Elements it owes us after one when no request follows (docs/recon.md §13), and
          // we would learn nothing there. SyncFail is safe with every requester we know: SKS,
          // conflux and ours send Poly only for nodes that are not leaves on their side, so they
          // can always descend (conflux's own responder already sends SyncFail at its leaves when
          // |d| > mbar, docs/recon.md §13), down to ReconRqstFull for their leaves, whose elements
          // tell us what we lack; requests below our leaves are answered from the true sub-prefix
          // (docs/recon.md §7).
          conn.write(SYNC_FAIL);
        }
        break;
      }
      case 'ReconRqstFull': {
        if (!tree.nodeAt(msg.prefix)) return refuse(conn, 'server should never received request for non-existant node (ReconRqst_Full)');
        const local = tree.hashes(msg.prefix).map(elementFromHash);
        const remote = new Set(msg.elements);
        const localSet = new Set(local);
        conn.write({ type: 'Elements', elements: local.filter((x) => !remote.has(x)) });
        found.addElements(msg.elements.filter((x) => !localSet.has(x)));
        break;
      }
      case 'Elements':
        found.addElements(msg.elements);
        break;
      case 'Flush':
        conn.flush();
        break;
      case 'Done':
        conn.flush();
        return;
      case 'Error':
        throw new ReconSessionError(`the peer reported an error: ${msg.text}`);
      default:
        conn.write({ type: 'Error', text: `unexpected ${msg.type}` });
        conn.flush();
        throw new ReconSessionError(`unexpected ${msg.type} from the requester`);
    }
  }
}

/**
 * A request no tree can answer (a prefix that is no whole number of levels or longer than a
 * hash, a wrong sample count): Error and stop, as SKS does for a node it does not have
 * (docs/recon.md §7); the node texts are SKS's own, typos included.
 */
function refuse(conn: ReconConnection, text: string): never {
  conn.write({ type: 'Error', text });
  conn.flush();
  throw new ReconSessionError(`the peer sent a request no tree can answer: ${text}`);
}
