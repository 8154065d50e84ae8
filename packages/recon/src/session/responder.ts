/**
 * The responder role (the TCP initiator, spec/recon.md §6.2, SKS server.ml): answer each request
 * in order — decode a Poly request into the set differences, or fall back to FullElements (small
 * nodes) or SyncFail; compare Full requests directly — and flush the answers on Flush, until Done.
 */
import { div, elementFromHash } from '../field';
import { LowMBarError, reconcile } from '../decode';
import { SYNC_FAIL } from '../messages/sync-fail';
import { ReconTree } from '../ptree/prefix-tree';
import { ReconConnection, ReconSessionError } from './connection';
import { FoundSet } from './found';

export interface ResponderOptions {
  /** nodes smaller than this answer a failed decode with FullElements (SKS: 150) */
  fullThreshold: number;
  /** deadline for each request, ms */
  requestTimeoutMs: number;
  /** most messages in one session */
  maxMessages: number;
}

export const DEFAULT_RESPONDER_OPTIONS: ResponderOptions = { fullThreshold: 150, requestTimeoutMs: 60_000, maxMessages: 2_000_000 };

export async function runResponder(conn: ReconConnection, tree: ReconTree, found: FoundSet, opts: ResponderOptions = DEFAULT_RESPONDER_OPTIONS): Promise<void> {
  for (let n = 0; ; n++) {
    if (n > opts.maxMessages) throw new ReconSessionError(`more than ${opts.maxMessages} messages in one session`);
    const msg = await conn.readMessage(opts.requestTimeoutMs);
    switch (msg.type) {
      case 'ReconRqstPoly': {
        const node = tree.node(msg.prefix);
        if (!node) return missingNode(conn, 'server should never receive request for non-existant node (ReconRqst_Poly)');
        if (msg.samples.length !== node.svalues.length) throw new ReconSessionError(`Poly request with ${msg.samples.length} samples, not ${node.svalues.length}`);
        try {
          const values = msg.samples.map((s, i) => div(s, node.svalues[i]));
          const r = reconcile(values, tree.points, msg.size - node.size);
          conn.write({ type: 'Elements', elements: r.localOnly });
          found.addElements(r.remoteOnly);
        } catch (e) {
          if (!(e instanceof LowMBarError)) throw e;
          if (node.leaf || node.size < opts.fullThreshold) conn.write({ type: 'FullElements', elements: tree.hashes(msg.prefix).map(elementFromHash) });
          else conn.write(SYNC_FAIL);
        }
        break;
      }
      case 'ReconRqstFull': {
        if (!tree.node(msg.prefix)) return missingNode(conn, 'server should never received request for non-existant node (ReconRqst_Full)');
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
 * SKS answers a request for a node it does not have with Error and stops (spec §10 item 5); the
 * texts are SKS's own, typos included (§3.1).
 */
function missingNode(conn: ReconConnection, text: string): never {
  conn.write({ type: 'Error', text });
  conn.flush();
  throw new ReconSessionError(`the peer asked for a node we do not have: ${text}`);
}
