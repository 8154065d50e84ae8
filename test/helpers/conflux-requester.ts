/**
 * A test peer built from our recon code that behaves like conflux's requester, including its
 * dropped-Elements bug.  It is NOT Hockeypuck: it is our codec, connection and Config exchange
 * (@dkeyserv/recon) driving a copy of the request loop of conflux's `interactWithClient`
 * (hockeypuck 2.3.3, conflux/recon/peer.go: sendRequest, handleReply, flushQueue), as
 * docs/recon.md §6 and §13 describe it:
 *
 *  - it listens on 127.0.0.1 and accepts ONE TCP connection, so it is the requester (docs/recon.md §1); then
 *    it stops listening (later connections are refused by the kernel);
 *  - Config: ours (keys in conflux's order, `configMessage`), advertising `httpPort` (the HKP
 *    port of a real dkeyserv holding the same set, so the peer can fetch from there);
 *  - ReconRqstFull for a leaf or a node smaller than mbar (5), ReconRqstPoly otherwise;
 *  - requests pipelined up to `maxOutstanding` (100) in flight; Flush after a batch; a blocking
 *    read of 3 s (conflux's) for a reply once a batch is flushed;
 *  - SyncFail: the first child goes to the back of the request queue, the other three to the
 *    front (conflux's `pushRequest` / `prependRequests`); SyncFail for a leaf is an error;
 *  - FullElements: what the responder lacks is queued as an `Elements` message that is written
 *    only with the next batch's Flush; when no request follows, the loop ends, only `Done` is
 *    written and that Elements is dropped (the bug).  The result counts them.
 *
 * It records what it learned (elements the responder has and it lacks) and a transcript of its
 * requests and the replies; it fetches nothing.
 *
 * @example
 * ```ts
 * const peer = await ConfluxRequester.listen({ tree, httpPort: x.hkpPort });
 * const y = await startReconNode({ keys: [a], peers: [peer.port], gossipInterval: 1 });
 * const r = await peer.result; // after y's first session
 * expect(r.droppedElements).toBe(0);
 * ```
 */
import net from 'node:net';
import { Bitstring, DONE, exchangeConfig, FLUSH, ReconConnection, SKS_PTREE_PARAMS, ZZp, type PTreeNode, type ReconConfig, type ReconMessage, type ReconTree } from '@dkeyserv/recon';

export interface ConfluxRequesterOptions {
  /** the set it reconciles (its prefix tree) */
  tree: ReconTree;
  /** the `http port` its Config advertises */
  httpPort: number;
  /** port on 127.0.0.1 (default: the kernel picks) */
  port?: number;
  /** conflux MaxOutstandingReconRequests (100) */
  maxOutstanding?: number;
  /** conflux's blocking read after a Flush: 3 s */
  replyTimeoutMs?: number;
  /** deadline for the peer's Config and status */
  configTimeoutMs?: number;
  /** Config entries other than http port (default: SKS's, as dkeyserv expects) */
  config?: Partial<Omit<ReconConfig, 'httpPort'>>;
}

export interface TranscriptEntry {
  prefix: string;
  request: 'Poly' | 'Full';
  /** our node size at the prefix */
  size: number;
  /** the reply's type, and its element count for Elements/FullElements */
  reply?: string;
  elements?: number;
}

export interface ConfluxRequesterResult {
  /** elements (32-hex SKS hashes) the responder named that we lack */
  learned: string[];
  /** Elements messages owed after a FullElements reply that were never written (the bug) */
  droppedElements: number;
  /** the elements in them */
  droppedElementCount: number;
  /** Elements messages owed after a FullElements reply that a later Flush did write */
  sentOwedElements: number;
  /** FullElements replies received */
  fullElementsReplies: number;
  transcript: TranscriptEntry[];
  /** set when the session failed (Done is still written, as conflux's deferred write does) */
  error?: string;
}

interface Request {
  node: PTreeNode;
  entry: TranscriptEntry;
}

const FLUSH_ENDED = Symbol('FlushEnded');

/** An Elements message queued after a FullElements reply (so it can be counted). */
interface Owed {
  msg: ReconMessage & { type: 'Elements' };
}

export class ConfluxRequester {
  /** resolves with the outcome of the first (only) session */
  readonly result: Promise<ConfluxRequesterResult>;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    result: Promise<ConfluxRequesterResult>,
  ) {
    this.result = result;
  }

  static async listen(opts: ConfluxRequesterOptions): Promise<ConfluxRequester> {
    const server = net.createServer();
    const result = new Promise<ConfluxRequesterResult>((resolve) => {
      server.once('connection', (socket) => {
        server.close(); // one session only
        server.on('connection', (s) => s.destroy()); // (a connection already queued)
        void session(socket, opts).then(resolve);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    return new ConfluxRequester(server, (server.address() as net.AddressInfo).port, result);
  }

  /** Stop listening (if no session came). */
  close(): Promise<void> {
    return new Promise((resolve) => (this.server.listening ? this.server.close(() => resolve()) : resolve()));
  }
}

async function session(socket: net.Socket, opts: ConfluxRequesterOptions): Promise<ConfluxRequesterResult> {
  const conn = new ReconConnection(socket);
  const tree = opts.tree;
  const mbar = tree.params.mbar;
  const maxOutstanding = opts.maxOutstanding ?? 100;
  const replyTimeoutMs = opts.replyTimeoutMs ?? 3000;
  const out: ConfluxRequesterResult = { learned: [], droppedElements: 0, droppedElementCount: 0, sentOwedElements: 0, fullElementsReplies: 0, transcript: [] };
  const learned = new Set<string>();
  const learn = (xs: Iterable<bigint>) => {
    for (const x of xs) learned.add(ZZp.elementToHash(x).toString('hex'));
  };
  // conflux's rwc.messages: written only by flushQueue
  let messages: (ReconMessage | Owed)[] = [];
  const requestQ: Request[] = [];
  const bottomQ: (Request | typeof FLUSH_ENDED)[] = [];
  let flushing = false;

  const nodeAt = (prefix: Bitstring): PTreeNode => {
    const node = tree.node(prefix);
    if (!node) throw new Error(`our tree has no node ${prefix.toString() || '(root)'}`);
    return node;
  };
  const request = (node: PTreeNode): Request => ({ node, entry: { prefix: node.prefix.toString(), request: node.leaf || node.size < mbar ? 'Full' : 'Poly', size: node.size } });

  const sendRequest = (req: Request) => {
    const { node } = req;
    if (req.entry.request === 'Full') messages.push({ type: 'ReconRqstFull', prefix: node.prefix, elements: tree.hashes(node.prefix).map(ZZp.elementFromHash) });
    else messages.push({ type: 'ReconRqstPoly', prefix: node.prefix, size: node.size, samples: node.svalues });
    out.transcript.push(req.entry);
    bottomQ.push(req);
  };

  const handleReply = (msg: ReconMessage, req: Request) => {
    req.entry.reply = msg.type;
    switch (msg.type) {
      case 'SyncFail': {
        if (req.node.leaf) throw new Error('Syncfail received at leaf node');
        const children = req.node.prefix.children(tree.params.bitQuantum).map((c) => request(nodeAt(c)));
        children.forEach((child, i) => {
          if (i === 0) requestQ.push(child);
          else requestQ.unshift(child); // prependRequests, one at a time
        });
        return;
      }
      case 'Elements':
        req.entry.elements = msg.elements.length;
        learn(msg.elements);
        return;
      case 'FullElements': {
        out.fullElementsReplies++;
        req.entry.elements = msg.elements.length;
        const local = tree.hashes(req.node.prefix).map(ZZp.elementFromHash);
        const localSet = new Set(local);
        const remote = new Set(msg.elements);
        learn(msg.elements.filter((x) => !localSet.has(x)));
        // the bug: queued, written only by a later flushQueue
        messages.push({ msg: { type: 'Elements', elements: local.filter((x) => !remote.has(x)) } });
        return;
      }
      default:
        throw new Error(`unexpected message: ${msg.type}`);
    }
  };

  const write = (m: ReconMessage | Owed) => {
    if ('msg' in m) {
      out.sentOwedElements++;
      conn.write(m.msg);
    } else conn.write(m);
  };
  const flushQueue = () => {
    for (const m of messages) write(m);
    conn.write(FLUSH);
    conn.flush();
    messages = [];
    bottomQ.push(FLUSH_ENDED);
    flushing = true;
  };

  try {
    const config: ReconConfig = { version: '1.1.6', bitQuantum: SKS_PTREE_PARAMS.bitQuantum, mbar: SKS_PTREE_PARAMS.mbar, filters: 'yminsky.dedup,yminsky.merge', ...opts.config, httpPort: opts.httpPort };
    await exchangeConfig(conn, config, opts.configTimeoutMs ?? 30_000);
    requestQ.push(request(nodeAt(Bitstring.EMPTY)));
    while (requestQ.length > 0 || bottomQ.length > 0) {
      const bottom = bottomQ[0];
      if (bottom === undefined) {
        sendRequest(requestQ.shift()!);
      } else if (bottom === FLUSH_ENDED) {
        bottomQ.shift();
        flushing = false;
      } else {
        const msg = conn.poll(); // conflux: a read with a 1 ms deadline
        if (msg) {
          bottomQ.shift();
          handleReply(msg, bottom);
        } else if (bottomQ.length > maxOutstanding || requestQ.length === 0) {
          if (!flushing) flushQueue();
          else {
            bottomQ.shift();
            handleReply(await conn.readMessage(replyTimeoutMs), bottom);
          }
        } else {
          sendRequest(requestQ.shift()!);
        }
      }
    }
  } catch (e) {
    out.error = (e as Error).message;
  } finally {
    // conflux's deferred WriteMsg(Done): Done alone; whatever is still queued is never written
    for (const m of messages) {
      if (!('msg' in m)) continue;
      out.droppedElements++;
      out.droppedElementCount += m.msg.elements.length;
    }
    conn.write(DONE);
    conn.close();
  }
  out.learned = [...learned].sort();
  return out;
}
