/**
 * The requester role (the TCP acceptor, docs/recon.md §1, §6, SKS client.ml): walk our prefix
 * tree from the root, pipelining up to `maxOutstanding` requests, always sending Flush after a
 * batch, matching replies FIFO; descend only after SyncFail; answer FullElements at once with the
 * Elements the peer lacks; finish with Done.
 */
import { Bitstring } from '../bitstring';
import { elementFromHash } from '../field';
import { DONE } from '../messages/done';
import { FLUSH } from '../messages/flush';
import { ReconMessage } from '../messages/codec';
import { ReconTree } from '../ptree/prefix-tree';
import { ReconSessionError } from '../errors';
import { ReconConnection } from './connection';
import { FoundSet } from './found';

export interface RequesterOptions {
  /** requests in flight before a Flush (SKS max_outstanding_recon_requests) */
  maxOutstanding: number;
  /** nodes smaller than this are sent whole (SKS: recon_thresh_mult 30 × mbar) */
  fullThreshold: number;
  /** deadline for each reply, ms */
  replyTimeoutMs: number;
  /** most requests in one session (a bound against a peer that keeps answering SyncFail) */
  maxRequests: number;
}

export const DEFAULT_REQUESTER_OPTIONS: RequesterOptions = { maxOutstanding: 100, fullThreshold: 150, replyTimeoutMs: 60_000, maxRequests: 1_000_000 };

const FLUSH_ENDED = Symbol('FlushEnded');

interface Pending {
  prefix: Bitstring;
  leaf: boolean;
}

export async function runRequester(conn: ReconConnection, tree: ReconTree, found: FoundSet, opts: RequesterOptions = DEFAULT_REQUESTER_OPTIONS): Promise<void> {
  const requestQ: Bitstring[] = [Bitstring.EMPTY];
  const bottomQ: (Pending | typeof FLUSH_ENDED)[] = [];
  let flushing = false;
  let sent = 0;
  const send = (prefix: Bitstring) => {
    if (++sent > opts.maxRequests) throw new ReconSessionError(`more than ${opts.maxRequests} requests in one session`);
    const node = tree.node(prefix);
    const size = node?.size ?? 0;
    const leaf = node?.leaf ?? true;
    if (leaf || size < opts.fullThreshold) {
      conn.write({ type: 'ReconRqstFull', prefix, elements: tree.hashes(prefix).map(elementFromHash) });
    } else {
      conn.write({ type: 'ReconRqstPoly', prefix, size, samples: node!.svalues });
    }
    bottomQ.push({ prefix, leaf });
  };
  const handle = (req: Pending, msg: ReconMessage) => {
    switch (msg.type) {
      case 'SyncFail':
        if (req.leaf) throw new ReconSessionError(`SyncFail for ${req.prefix.toString() || 'the root'}, a leaf here`);
        requestQ.push(...req.prefix.children(tree.params.bitQuantum));
        return;
      case 'Elements':
        found.addElements(msg.elements);
        return;
      case 'FullElements': {
        const local = tree.hashes(req.prefix).map(elementFromHash);
        const remote = new Set(msg.elements);
        const localSet = new Set(local);
        conn.write({ type: 'Elements', elements: local.filter((x) => !remote.has(x)) });
        conn.flush(); // at once, before Done (docs/recon.md §6, §13)
        found.addElements(msg.elements.filter((x) => !localSet.has(x)));
        return;
      }
      case 'Error':
        throw new ReconSessionError(`the peer reported an error: ${msg.text}`);
      default:
        throw new ReconSessionError(`unexpected ${msg.type} in reply to a request`);
    }
  };
  while (requestQ.length > 0 || bottomQ.length > 0) {
    const head = bottomQ[0];
    if (head === undefined) {
      send(requestQ.shift()!);
      continue;
    }
    if (head === FLUSH_ENDED) {
      bottomQ.shift();
      flushing = false;
      continue;
    }
    const ready = conn.poll();
    if (ready) {
      bottomQ.shift();
      handle(head, ready);
    } else if (bottomQ.length <= opts.maxOutstanding && requestQ.length > 0) {
      send(requestQ.shift()!);
    } else if (!flushing) {
      conn.write(FLUSH);
      conn.flush();
      bottomQ.push(FLUSH_ENDED);
      flushing = true;
    } else {
      const msg = await conn.readMessage(opts.replyTimeoutMs);
      bottomQ.shift();
      handle(head, msg);
    }
  }
  conn.write(DONE);
  conn.flush();
}
