/**
 * Recon policies on the wire (docs/recon-policies.md), against a running `dkeyserv serve` that keeps
 * `sks` and `hockeypuck` (a bridge) and holds debian-keyring, on 127.0.0.1 only. A test client,
 * built from @dkeyserv/recon's codec, plays the TCP initiator:
 *  - a peer sending Hockeypuck 2.2–2.3's exact filter string is answered with that string and
 *    reconciles against the hockeypuck tree (a ReconRqstFull of the empty root makes the node
 *    name all its hockeypuck hashes); SKS's filters get the sks tree;
 *  - a filter string one byte off is refused ("failed" + SKS's reason) and the node's log line
 *    shows the peer's string and each of ours;
 *  - stats name the peer's software and policy;
 *  - hashquery answers a hash of either policy with the key in that policy's form (its hash
 *    recomputed from the answer is the asked one), and an unknown hash with SKS's empty answer.
 * Needs the Debian package debian-keyring (.ci/run installs it).
 */
import net from 'node:net';
import { RECON_POLICIES } from '@dkeyserv/pgp';
import { Bitstring, configMessage, encodeConfigStatus, encodeMessage, MessageReader, ReconMessage, ZZp } from '@dkeyserv/recon';
import { httpRequest } from '../helpers/server';
import { sksHashOf, splitPackets } from '../helpers/sks';
import { startReconNode, stopAllReconNodes, type ReconNode } from '../helpers/recon-node';

const KEYRING = '/usr/share/keyrings/debian-keyring.gpg';
/** a keyring key Hockeypuck 2.3 hashes differently (its photo ID is dropped, docs/sks-key-hash.md §8) */
const UAT_KEY = '1984860920b60ced8d13093747d37f29e62eb8ff';

let node: ReconNode;
let sksHashes: string[];
let hpHashes: string[];

beforeAll(async () => {
  node = await startReconNode({ keys: [KEYRING], policies: ['sks', 'hockeypuck'], gossipInterval: 0, label: 'bridge' });
  [sksHashes, hpHashes] = await Promise.all([node.hashes('sks'), node.hashes('hockeypuck')]);
}, 120_000);
afterAll(stopAllReconNodes);

/** A recon client over one TCP connection (the TCP initiator: we write our Config first). */
class Client {
  private readonly reader = new MessageReader();
  private wake?: () => void;
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.reader.push(d);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<Client> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new Client(s)));
      s.once('error', reject);
    });
  }

  send(...msgs: ReconMessage[]): void {
    for (const m of msgs) this.socket.write(encodeMessage(m));
  }

  sendRaw(b: Buffer): void {
    this.socket.write(b);
  }

  private async wait<T>(take: () => T | undefined, what: string): Promise<T> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const v = take();
      if (v !== undefined) return v;
      if (this.closed) throw new Error(`connection closed before ${what}`);
      if (Date.now() > deadline) throw new Error(`no ${what} within 15 s`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  message(): Promise<ReconMessage> {
    return this.wait(() => this.reader.next(), 'a message');
  }

  status() {
    return this.wait(() => this.reader.nextStatus(), 'a status');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Our Config with these filters, then the node's Config and status. */
async function handshake(filters: string) {
  const c = await Client.connect(node.reconPort);
  c.send(configMessage({ version: '1.1.6', httpPort: node.hkpPort, bitQuantum: 2, mbar: 5, filters }));
  const theirs = await c.message();
  if (theirs.type !== 'Config') throw new Error(`expected Config, got ${theirs.type}`);
  const status = await c.status();
  const got = new Map(theirs.entries);
  return { c, filters: got.get('filters')?.toString('utf8'), status };
}

/**
 * A session in which we (the responder: the node accepted, so it requests) hold nothing: we answer
 * the node's request for the root with FullElements{}, and the node names every element of the
 * tree it chose (docs/recon.md §6).
 */
async function elementsOfRoot(filters: string): Promise<string[]> {
  const { c, filters: answered, status } = await handshake(filters);
  expect(status).toEqual({ passed: true });
  expect(answered).toBe(filters);
  c.sendRaw(encodeConfigStatus({ passed: true }));
  const request = await c.message();
  expect(request).toMatchObject({ type: 'ReconRqstPoly', prefix: Bitstring.EMPTY });
  expect(await c.message()).toEqual({ type: 'Flush' });
  c.send({ type: 'FullElements', elements: [] });
  const reply = await c.message();
  expect(await c.message()).toEqual({ type: 'Done' });
  c.close();
  if (reply.type !== 'Elements') throw new Error(`expected Elements, got ${reply.type}`);
  return reply.elements.map((e) => ZZp.elementToHash(e).toString('hex')).sort();
}

test('the two policies differ on this keyring (the premise)', () => {
  expect(sksHashes.length).toBe(905);
  expect(hpHashes.length).toBe(904);
  expect(hpHashes.filter((h) => !sksHashes.includes(h)).length).toBe(7);
});

test("Hockeypuck 2.2–2.3's filters are answered in kind and reconcile the hockeypuck tree", async () => {
  expect(await elementsOfRoot(RECON_POLICIES.hockeypuck.filters)).toEqual(hpHashes);
  const stats = await node.stats();
  const peer = stats.peers.find((p) => p.name === '127.0.0.1 (incoming)');
  expect(peer).toMatchObject({ policy: 'hockeypuck', software: 'Hockeypuck 2.2–2.3', filters: RECON_POLICIES.hockeypuck.filters });
  expect((stats.reconPolicies as { name: string; keys: number }[]).map((p) => [p.name, p.keys])).toEqual([
    ['sks', 905],
    ['hockeypuck', 904],
  ]);
});

test("SKS's filters get the sks tree", async () => {
  expect(await elementsOfRoot('yminsky.dedup,yminsky.merge')).toEqual(sksHashes);
});

test('a filter string one byte off is refused, and the log line shows both strings', async () => {
  const mark = node.mark();
  const off = RECON_POLICIES.hockeypuck.filters.replace('versions:34', 'versions:35');
  const { c, status } = await handshake(off);
  c.close();
  expect(status.passed).toBe(false);
  expect(status).toMatchObject({ reason: expect.stringMatching(/^filters do not match\./) });
  const line = await node.waitForLog((l) => l.component === 'recon' && /^recon from .* failed/.test(l.message), 30_000, mark);
  expect(line.level).toBe('warn');
  expect(line.message).toContain(`"${off}"`);
  expect(line.message).toContain(`sks "${RECON_POLICIES.sks.filters}"`);
  expect(line.message).toContain(`hockeypuck "${RECON_POLICIES.hockeypuck.filters}"`);
});

/** POST /pks/hashquery for these hashes; the keys of the answer, each as its packets. */
async function hashquery(hashes: string[]): Promise<Buffer> {
  const body = Buffer.concat([u32(hashes.length), ...hashes.flatMap((h) => [u32(16), Buffer.from(h, 'hex')])]);
  const r = await httpRequest(node.hkpPort, '/pks/hashquery', { method: 'POST', body, contentType: 'application/octet-stream' });
  expect(r.status).toBe(200);
  return r.body;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function keysOfAnswer(body: Buffer): Buffer[] {
  const n = body.readUInt32BE(0);
  const out: Buffer[] = [];
  let at = 4;
  for (let i = 0; i < n; i++) {
    const len = body.readUInt32BE(at);
    out.push(body.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  expect(body.subarray(at).toString('latin1')).toBe('\r\n');
  return out;
}

test("hashquery answers each policy's hash with the key in that policy's form", async () => {
  const r = await node.get(`/pks/lookup?op=get&options=mr&search=0x${UAT_KEY}`);
  expect(r.status).toBe(200);
  const onlyHp = hpHashes.filter((h) => !sksHashes.includes(h));
  const onlySks = sksHashes.filter((h) => !hpHashes.includes(h));
  const keys = keysOfAnswer(await hashquery([...onlyHp, ...onlySks]));
  expect(keys).toHaveLength(onlyHp.length + onlySks.length);
  const got = keys.map((k) => sksHashOf(splitPackets(k))).sort();
  expect(got).toEqual([...onlyHp, ...onlySks].sort());
});

test("an unknown hash of any policy gets SKS's empty answer", async () => {
  const body = await hashquery(['00112233445566778899aabbccddeeff']);
  expect(body.toString('hex')).toBe('000000000d0a');
  const miss = await node.get('/pks/lookup?op=hget&search=00112233445566778899aabbccddeeff');
  expect(miss.status).toBe(404);
});
