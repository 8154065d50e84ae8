/**
 * The responder (docs/recon.md §7) against a requester whose tree is deeper than ours, over a
 * real socket pair on 127.0.0.1 and prefix trees on real LMDB:
 *  - a Poly that does not decode gets SyncFail, also at a leaf or a small node (never
 *    FullElements: conflux's requester drops the Elements it owes after one, docs/recon.md §13);
 *  - requests for prefixes below one of our leaves are answered from the true sub-prefix
 *    (`ReconTree.nodeAt`): size and svalues of the leaf's elements under the prefix for a Poly,
 *    those elements minus the requester's for a Full;
 *  - only impossible requests get Error.
 *
 * The sets, by the first hex digit of the hash (4 = prefix 0100, 5 = 0101):
 *   ours (L, 79): 48 under 0100, 1 under 0101 (so our 01 is a leaf of 49), 10 each under 00, 10, 11;
 *   theirs (R, 141): 47 of our 48 under 0100 plus 4 more (51: internal on their side), 60 others
 *   under 0101 (internal), the same 30 under 00, 10, 11.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyStore } from '@dkeyserv/db';
import { Bitstring, PrefixTree, ReconConnection, DEFAULT_REQUESTER_OPTIONS, ZZp, type ReconMessage } from '../src/index';
import { FoundSet } from '../src/session/found';
import { runRequester } from '../src/session/requester';
import { runResponder } from '../src/session/responder';

const md5 = (s: string) => createHash('md5').update(s).digest();
const hex = (hs: Iterable<Buffer>) => [...hs].map((h) => h.toString('hex')).sort();
const hexOf = (xs: Iterable<bigint>) => hex([...xs].map(ZZp.elementToHash));
const under = (prefix: string, hs: Buffer[]) => hs.filter((h) => Bitstring.parse(prefix).isPrefixOf(Bitstring.fromBytes(h, 128)));

/** `n` distinct MD5 hashes whose first hex digit is `nibble`, none of them in `taken`. */
function pool(nibble: number, n: number, taken: Set<string>): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; out.length < n; i++) {
    const h = md5(`responder-${i}`);
    if (h[0] >> 4 !== nibble || taken.has(h.toString('hex'))) continue;
    taken.add(h.toString('hex'));
    out.push(h);
  }
  return out;
}

const taken = new Set<string>();
const ours0100 = pool(4, 48, taken);
const ours0101 = pool(5, 1, taken);
const common = [...pool(0, 10, taken), ...pool(8, 10, taken), ...pool(12, 10, taken)];
const theirs0100 = pool(4, 4, taken);
const theirs0101 = pool(5, 60, taken);
const L = [...ours0100, ...ours0101, ...common];
const R = [...ours0100.slice(1), ...theirs0100, ...theirs0101, ...common];
const onlyOurs = [ours0100[0], ours0101[0]];
const onlyTheirs = [...theirs0100, ...theirs0101];

describe('responder', () => {
  let dir: string;
  let store: KeyStore;
  let ours: PrefixTree;
  let theirs: PrefixTree;
  let n = 0;
  const tree = (hashes: Buffer[]) => {
    const t = new PrefixTree(store.openDatabase(`t${n++}`)!);
    store.transaction(() => t.rebuild(hashes));
    return t;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dks-responder-'));
    store = KeyStore.open({ path: dir });
    ours = tree(L);
    theirs = tree(R);
  });
  afterAll(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the trees have the intended shapes: our 01 is a leaf, their 01, 0100 and 0101 are internal', () => {
    const shape = (t: PrefixTree, p: string) => {
      const node = t.node(Bitstring.parse(p));
      return node && [node.size, node.leaf];
    };
    expect(['', '01', '0100', '0101'].map((p) => shape(ours, p))).toEqual([[79, false], [49, true], undefined, undefined]);
    expect(['', '01', '0100', '0101', '0110'].map((p) => shape(theirs, p))).toEqual([[141, false], [111, false], [51, false], [60, false], [0, true]]);
  });

  describe('ReconTree.nodeAt', () => {
    test('a stored node is returned as node() returns it', () => {
      for (const p of ['', '00', '01']) expect(ours.nodeAt(Bitstring.parse(p))).toEqual(ours.node(Bitstring.parse(p)));
    });

    test('below a leaf: the leaf elements under the prefix, their size and svalues (the product of (point − x) over them)', () => {
      const prefixes = ['0100', '0101', '0110', '010000', '010111', ...theirs.node(Bitstring.parse('0100'))!.prefix.children().flatMap((c) => c.children()).map((c) => c.toString())];
      for (const p of prefixes) {
        const node = ours.nodeAt(Bitstring.parse(p))!;
        const expected = under(p, L);
        const svalues = ZZp.samplePoints(6).map((k) => expected.reduce((s, h) => ZZp.mul(s, ZZp.sub(k, ZZp.elementFromHash(h))), 1n));
        expect({ p, size: node.size, svalues: node.svalues, hashes: hex(node.hashes), leaf: node.leaf }).toEqual({ p, size: expected.length, svalues, hashes: hex(expected), leaf: true });
        expect(hex(ours.hashes(Bitstring.parse(p)))).toEqual(hex(expected));
      }
      expect(ours.nodeAt(Bitstring.parse('0100'))!.size).toBe(48);
    });

    test('a 128-bit prefix (a whole hash) holds that element; longer or odd-length prefixes exist in no tree', () => {
      const full = Bitstring.fromBytes(ours0100[3], 128);
      expect(hex(ours.nodeAt(full)!.hashes)).toEqual(hex([ours0100[3]]));
      expect(ours.nodeAt(Bitstring.fromBytes(Buffer.concat([ours0100[3], Buffer.alloc(1)]), 130))).toBeUndefined();
      expect(ours.nodeAt(Bitstring.parse('010'))).toBeUndefined();
      expect(ours.hashes(Bitstring.parse('010'))).toEqual([]);
    });
  });

  /** Our responder on one end of a socket pair, a hand-driven requester on the other. */
  async function pair(): Promise<{ requester: ReconConnection; session: Promise<void>; found: FoundSet; close: () => void }> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const responderSocket = await accepted;
    server.close();
    const found = new FoundSet();
    const responder = new ReconConnection(responderSocket);
    const session = runResponder(responder, ours, found, { requestTimeoutMs: 10_000, maxMessages: 1000 });
    session.catch(() => undefined); // (asserted by the tests that expect a failure)
    return {
      requester: new ReconConnection(client),
      session,
      found,
      close: () => {
        client.destroy();
        responderSocket.destroy();
      },
    };
  }

  const poly = (p: string): ReconMessage => {
    const node = theirs.node(Bitstring.parse(p))!;
    return { type: 'ReconRqstPoly', prefix: node.prefix, size: node.size, samples: node.svalues };
  };
  const full = (p: string): ReconMessage => ({ type: 'ReconRqstFull', prefix: Bitstring.parse(p), elements: theirs.hashes(Bitstring.parse(p)).map(ZZp.elementFromHash) });

  async function ask(conn: ReconConnection, requests: ReconMessage[]): Promise<ReconMessage[]> {
    for (const r of requests) conn.write(r);
    conn.write({ type: 'Flush' });
    conn.flush();
    const replies: ReconMessage[] = [];
    for (const _ of requests) replies.push(await conn.readMessage(5000));
    return replies;
  }

  test('SyncFail where decoding fails (a small internal node, our leaf, below our leaf), then the true sub-prefix answers below our leaf', async () => {
    const { requester, session, found, close } = await pair();
    try {
      // the root: 79 here (internal, < 150), 141 there: SKS's rule would have sent FullElements
      expect(await ask(requester, [poly('')])).toEqual([{ type: 'SyncFail' }]);
      // the children: our 01 is a leaf of 49 against their 111; 00, 10, 11 are equal
      const depth1 = await ask(requester, ['00', '01', '10', '11'].map(poly));
      expect(depth1.map((m) => m.type)).toEqual(['Elements', 'SyncFail', 'Elements', 'Elements']);
      expect(depth1.filter((m) => m.type === 'Elements').every((m) => m.type === 'Elements' && m.elements.length === 0)).toBe(true);
      // below our leaf 01: 0100 decodes (3 differences: they have 4 we lack, we have 1 they lack),
      // 0101 does not (60 against 1); 0110 and 0111 are empty leaves there, sent whole
      const depth2 = await ask(requester, [poly('0100'), poly('0101'), full('0110'), full('0111')]);
      expect(depth2[0]).toEqual({ type: 'Elements', elements: [ZZp.elementFromHash(ours0100[0])] });
      expect(depth2.slice(1)).toEqual([{ type: 'SyncFail' }, { type: 'Elements', elements: [] }, { type: 'Elements', elements: [] }]);
      expect(hex(found.hashes())).toEqual(hex(theirs0100));
      // two levels below our leaf: their leaves under 0101 (and, to check "ours minus theirs"
      // where most elements are common, 0100's), sent whole: each answer names exactly our
      // elements under that prefix that they lack
      const grandchildren = [...Bitstring.parse('0100').children(), ...Bitstring.parse('0101').children()].map((c) => c.toString());
      for (const p of grandchildren) expect(theirs.node(Bitstring.parse(p))!.leaf).toBe(true);
      const depth3 = await ask(requester, grandchildren.map(full));
      expect(depth3.map((m, i) => [grandchildren[i], m.type, m.type === 'Elements' ? hexOf(m.elements) : []])).toEqual(grandchildren.map((p) => [p, 'Elements', hex(under(p, onlyOurs))]));
      expect(under('0100', L).length - under('0100', onlyOurs).length).toBe(47); // (the common ones, not named)
      requester.write({ type: 'Done' });
      requester.flush();
      await session;
      expect(hex(found.hashes())).toEqual(hex(onlyTheirs));
    } finally {
      close();
    }
  });

  test('with our requester (Poly only for its internal nodes, from 5 elements, like conflux) both sides learn the whole difference in one session', async () => {
    const { requester, session, found, close } = await pair();
    try {
      const learned = new FoundSet();
      await runRequester(requester, theirs, learned, { ...DEFAULT_REQUESTER_OPTIONS, fullThreshold: ours.params.mbar });
      await session;
      expect(hex(found.hashes())).toEqual(hex(onlyTheirs));
      expect(hex(learned.hashes())).toEqual(hex(onlyOurs));
    } finally {
      close();
    }
  });

  test.each<[string, ReconMessage, string]>([
    ['a Full request for a prefix longer than a hash', { type: 'ReconRqstFull', prefix: Bitstring.fromBytes(Buffer.alloc(17), 130), elements: [] }, 'server should never received request for non-existant node (ReconRqst_Full)'],
    ['a Poly request for an odd-length prefix', { type: 'ReconRqstPoly', prefix: Bitstring.parse('010'), size: 3, samples: [1n, 1n, 1n, 1n, 1n, 1n] }, 'server should never receive request for non-existant node (ReconRqst_Poly)'],
    ['a Poly request with 5 samples', { type: 'ReconRqstPoly', prefix: Bitstring.parse('0100'), size: 3, samples: [1n, 1n, 1n, 1n, 1n] }, 'Poly request with 5 samples, not 6'],
  ])('%s: Error, and the session fails', async (_name, request, text) => {
    const { requester, session, close } = await pair();
    try {
      expect(await ask(requester, [request])).toEqual([{ type: 'Error', text }]);
      await expect(session).rejects.toThrow(text);
    } finally {
      close();
    }
  });
});
