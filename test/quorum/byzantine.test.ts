/**
 * Issue 5, "Must show": a Byzantine member cannot get a key accepted, and honest keys are still
 * accepted with it in the set.
 *
 * n = 4, k = 3: alpha, bravo and charlie are real `dkeyserv serve` members (QuorumNet); "mallory"
 * is a member of the same policy (its Ed25519 node id is in every member's `[quorum]` table and
 * its recon port among every member's partners) but is a *crafted peer* run inside this test
 * process — allowed by the issue: a Byzantine fault cannot be produced by an honest build. It is
 * built from the project's own library pieces only: a KeyStore with its recon prefix tree for keys,
 * a second PrefixTree (over another database of the same LMDB environment) for attestation ids, a
 * ReconPeer gossiping every ~1 s with the quorum's extra set (`dkeyserv quorum` = policy hash), and
 * a small node:http server answering POST /pks/hashquery (keys from its store) and POST
 * /pks/x-attestations (whatever attestations it chose to publish). Everything mallory says reaches
 * the honest members over their ordinary recon sessions and fetches; the test never writes to an
 * honest member except through HKP uploads.
 *
 * Mallory:
 *  1. holds a key whose only User ID self-signature is corrupted (the honest members fetch it over
 *     recon, store it and never attest it), attests it itself and forges attestations of it "by"
 *     alpha and bravo (their signer ids, signed with mallory's key): never served, the forgeries
 *     are counted as dropped `bad-signature`, only mallory's own vote is pending;
 *  2. replays, after key K moved from version V1 to V2 (both accepted), the honest members' V1
 *     attestations of an old proof plus its own V1 attestation with a far-future timestamp (and
 *     its V2 attestation dated before V1): every honest member keeps serving V2;
 *  3. equivocates (two statements about one key with the same timestamp and different key hash and
 *     packet digest): every honest member keeps evidence naming mallory, and mallory's vote for
 *     that key stops counting — shown on a key that was accepted only thanks to that vote;
 *  4. meanwhile honest keys uploaded to each member are accepted and served by all three.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { KeyRecord, KeyStore, silentLogger } from '@dkeyserv/db';
import { encodeHashQueryResponse, parseHashQuery } from '@dkeyserv/hkp';
import { armor, dearmor, flattenKey, hasServedUserId, splitPackets } from '@dkeyserv/pgp';
import {
  Attestation,
  attestationId,
  decodeAttestation,
  decodeStatement,
  encodeAttestation,
  encodeStatement,
  NodeIdentity,
  packetsSha256,
  QuorumPolicy,
  signStatement,
  StatementFields,
} from '@dkeyserv/quorum';
import { attachPrefixTrees, DEFAULT_HASHQUERY_OPTIONS, hashQuery, PrefixTree, ReconPeer, SessionEvent, SKS_PTREE_PARAMS } from '@dkeyserv/recon';
import { makeV4Key } from '../../test-fixtures/keys';
import { QuorumNet } from '../helpers/quorum-net';
import { reservePorts, sleep, waitUntil } from '../helpers/recon-node';
import { keyFingerprint } from './util';

jest.setTimeout(180_000);

const HONEST = ['alpha', 'bravo', 'charlie'];
const POLICY_NAME = 'test-quorum';

/** A key version as a statement describes it (everything but signer, policy and time). */
type VersionFields = Pick<StatementFields, 'fingerprint' | 'keyHash' | 'packetsSha256'>;

interface QuorumStatsJson {
  quorum: {
    policy: { hash: string; n: number; k: number };
    attestations: number;
    pending: { fingerprint: string; keyHash: string; members: string[] }[];
    evidence: { member?: string; signer: string; fingerprint: string }[];
    dropped: Record<'malformed' | 'other-policy' | 'not-a-member' | 'bad-signature', number>;
  };
}

interface ProofJson {
  keyHash: string;
  members: string[];
  attestations: string[];
  key: string;
}

/** The crafted Byzantine member (see the file comment). */
class Mallory {
  readonly identity = NodeIdentity.generate();
  readonly dir = mkdtempSync('/tmp/dks-mallory-');
  readonly sessions: SessionEvent[] = [];
  store!: KeyStore;
  private attTree!: PrefixTree;
  /** what it serves on /pks/x-attestations: id (hex) → statement ‖ signature */
  private readonly published = new Map<string, Buffer>();
  private peer?: ReconPeer;
  private server?: http.Server;
  private policyHash!: Buffer;

  constructor(
    readonly reconPort: number,
    readonly httpPort: number,
  ) {}

  async start(policy: QuorumPolicy, partners: { name: string; reconPort: number }[]): Promise<void> {
    this.policyHash = policy.hash;
    this.store = KeyStore.open({ path: path.join(this.dir, 'data') });
    const keyTrees = attachPrefixTrees(this.store);
    this.attTree = new PrefixTree(this.store.openDatabase('mallory-attest-ptree')!);
    this.server = http.createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.httpPort, '127.0.0.1', () => resolve());
    });
    this.peer = new ReconPeer({
      trees: keyTrees,
      holds: (policy, hash) => this.store.getByHash(hash, policy) !== undefined,
      config: { version: '1.1.6', httpPort: (this.server.address() as AddressInfo).port, bitQuantum: SKS_PTREE_PARAMS.bitQuantum, mbar: SKS_PTREE_PARAMS.mbar },
      partners: () => partners.map((p) => ({ host: '127.0.0.1', port: p.reconPort, name: p.name })),
      listen: { host: '127.0.0.1', port: this.reconPort },
      gossipIntervalMs: 1000,
      configTimeoutMs: 10_000,
      sessionTimeoutMs: 30_000,
      logger: silentLogger,
      // keys the honest members hold: stored like any peer stores them
      ingest: (keys) => void this.store.ingestMany(keys.map((k) => splitPackets(k))),
      extra: {
        name: 'attestations',
        configKey: 'dkeyserv quorum',
        configValue: policy.hash.toString('hex'),
        tree: this.attTree,
        path: '/pks/x-attestations',
        // honest members' attestations: mirrored unchecked (it only keeps the sets close)
        ingest: (elements) => elements.forEach((e) => this.publishWire(e)),
        has: () => true,
      },
      onSession: (e) => void this.sessions.push(e),
    });
    await this.peer.start();
  }

  async stop(): Promise<void> {
    await this.peer?.stop();
    await sleep(500); // let a session in flight (its partners are gone by now) fail and end
    const closed = new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server?.closeAllConnections();
    await closed;
    await this.store?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse) {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const asked = req.method === 'POST' ? parseHashQuery(Buffer.concat(chunks)) : [];
        let out: Buffer[];
        if (req.method === 'POST' && req.url === '/pks/hashquery') {
          out = asked
            .map((h) => this.store.getByHash(h)?.record)
            .filter((r): r is KeyRecord => r !== undefined)
            .map((r) => Buffer.from(r.packets));
        } else if (req.method === 'POST' && req.url === '/pks/x-attestations') {
          out = asked.map((id) => this.published.get(id.toString('hex'))).filter((a): a is Buffer => a !== undefined);
        } else {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'application/octet-stream' }).end(encodeHashQueryResponse(out));
      } catch (e) {
        res.writeHead(400).end((e as Error).message);
      }
    });
  }

  /** Put an attestation into mallory's set (reconciled with the members, then served by id). */
  private publishWire(bytes: Buffer): Buffer {
    const id = attestationId(decodeAttestation(bytes));
    if (!this.published.has(id.toString('hex'))) {
      this.published.set(id.toString('hex'), Buffer.from(bytes));
      this.store.transaction(() => void this.attTree.insert(id));
    }
    return id;
  }

  publish(...atts: Attestation[]): Buffer[] {
    return atts.map((a) => this.publishWire(encodeAttestation(a)));
  }

  /** Mallory's own, validly signed statement. */
  attest(v: VersionFields, timestamp: number): Attestation {
    return signStatement(this.identity, { fingerprint: v.fingerprint, keyHash: v.keyHash, packetsSha256: v.packetsSha256, policyHash: this.policyHash, timestamp });
  }

  /** A statement naming another member as signer, signed with mallory's key. */
  forge(signer: Buffer, v: VersionFields, timestamp: number): Attestation {
    const statement = encodeStatement({ signer, fingerprint: v.fingerprint, keyHash: v.keyHash, packetsSha256: v.packetsSha256, policyHash: this.policyHash, timestamp });
    return { statement, signature: this.identity.sign(statement) };
  }

  /** The version of a key as mallory stores it (the digests an honest member would sign). */
  versionOf(fpr: string): VersionFields {
    const record = this.store.get(Buffer.from(fpr, 'hex'));
    if (!record) throw new Error(`mallory does not hold ${fpr}`);
    return { fingerprint: Buffer.from(record.fpr), keyHash: Buffer.from(record.hash), packetsSha256: packetsSha256(flattenKey(this.store.parseRecord(record))) };
  }
}

/** `key` with the signature right after its (only) User ID corrupted: no owner-signed UID left. */
function corruptUidSelfSignature(key: Buffer): Buffer {
  const packets = splitPackets(key);
  const uid = packets.findIndex((p) => p.tag === 13);
  expect(uid).toBeGreaterThan(0);
  expect(packets.filter((p) => p.tag === 13)).toHaveLength(1);
  expect(packets[uid + 1].tag).toBe(2);
  expect(packets[uid + 2]?.tag).not.toBe(2); // its only self-signature
  const sig = Buffer.from(packets[uid + 1].raw);
  sig[sig.length - 6] ^= 0x5a; // inside the signature's last MPI
  return Buffer.concat(packets.map((p, i) => (i === uid + 1 ? sig : p.raw)));
}

describe('a Byzantine member among four (k = 3)', () => {
  let net: QuorumNet;
  let mallory: Mallory;
  let policy: QuorumPolicy;
  /** honest keys uploaded while mallory misbehaves: fingerprint → the member it went to */
  const honestKeys: { fpr: string; to: string }[] = [];
  /** the invalid key of test 1 */
  let badFpr = '';

  const memberId = (name: string) => Buffer.from(net.member(name).id, 'base64');

  const stats = async (name: string) => (await net.node(name).stats()) as unknown as QuorumStatsJson;

  const proof = async (name: string, fpr: string): Promise<{ status: number; json?: ProofJson }> => {
    const r = await net.node(name).get(`/pks/lookup?op=x-quorum&search=0x${fpr}`);
    return { status: r.status, json: r.status === 200 ? (JSON.parse(r.text) as ProofJson) : undefined };
  };

  /** The ids (hex) among `ids` that a member holds, asked over its own POST /pks/x-attestations. */
  const held = async (name: string, ids: Buffer[]): Promise<Set<string>> => {
    const got = await hashQuery('127.0.0.1', net.member(name).hkpPort, ids, { ...DEFAULT_HASHQUERY_OPTIONS, path: '/pks/x-attestations', timeoutMs: 10_000 });
    return new Set(got.map((b) => attestationId(decodeAttestation(b)).toString('hex')));
  };

  /** Poll until `cond` holds on every named member (each answer true, or a string saying why not). */
  const onAll = (names: string[], cond: (name: string) => Promise<true | string>, what: string, timeoutMs = 60_000) =>
    waitUntil(
      async () => {
        const r = await Promise.all(names.map(async (n) => [n, await cond(n)] as const));
        const bad = r.filter(([, v]) => v !== true);
        return bad.length === 0 || bad.map(([n, v]) => `${n}: ${v}`).join('; ');
      },
      { timeoutMs, intervalMs: 250, what },
    );

  const uploadHonest = async (to: string, email: string): Promise<string> => {
    const key = (await makeV4Key(email)).publicKey;
    const up = await net.upload(to, armor(key));
    expect(up.status).toBe(200);
    expect(up.text).toMatch(/^1 new/);
    const fpr = keyFingerprint(key);
    honestKeys.push({ fpr, to });
    return fpr;
  };

  beforeAll(async () => {
    const [reconPort, httpPort] = await reservePorts(2);
    mallory = new Mallory(reconPort, httpPort);
    net = await QuorumNet.create(HONEST, { outsiders: [{ name: 'mallory', id: mallory.identity.idText, reconPort }], policyName: POLICY_NAME });
    // the policy every member reads from its config: same name, version and members
    policy = new QuorumPolicy({
      name: POLICY_NAME,
      version: 1,
      members: [...net.members.map((m) => ({ name: m.name, key: Buffer.from(m.id, 'base64') })), { name: 'mallory', key: mallory.identity.id }],
    });
    await net.startAll();
    await mallory.start(
      policy,
      net.members.map((m) => ({ name: m.name, reconPort: m.reconPort })),
    );
    for (const name of HONEST) {
      const s = await stats(name);
      expect(s.quorum.policy).toMatchObject({ hash: policy.hash.toString('hex'), n: 4, k: 3 });
      expect(s.quorum.dropped['bad-signature']).toBe(0);
      expect(s.quorum.evidence).toEqual([]);
    }
    // the honest members take mallory for a member of their policy: its sessions carry the attestation set
    await waitUntil(() => mallory.sessions.some((e) => !e.error && e.extra !== undefined) || JSON.stringify(mallory.sessions.slice(-3)), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'mallory reconciles the attestation set with an honest member',
    });
  });

  afterAll(async () => {
    await net?.destroy();
    await mallory?.stop();
  });

  test('a key failing validation, attested by mallory and forged "by" alpha and bravo, is never served', async () => {
    const key = corruptUidSelfSignature((await makeV4Key('forged@example.org')).publicKey);
    badFpr = keyFingerprint(key);
    expect(mallory.store.ingest(splitPackets(key)).status).toBe('new');
    const record = mallory.store.get(Buffer.from(badFpr, 'hex'))!;
    expect(hasServedUserId(mallory.store.parseRecord(record), record.validity)).toBe(false); // it fails validation
    const version = mallory.versionOf(badFpr);
    const now = Date.now();
    const [own] = mallory.publish(mallory.attest(version, now));
    const forged = mallory.publish(mallory.forge(memberId('alpha'), version, now), mallory.forge(memberId('bravo'), version, now + 1));
    await uploadHonest('bravo', 'honest-one@example.org');

    // every honest member fetches the key over recon and mallory's attestations over x-attestations
    await onAll(
      HONEST,
      async (n) => {
        const page = await net.node(n).get(`/key/${badFpr}`);
        if (page.status !== 200) return `key page ${page.status}`;
        return (await held(n, [own])).has(own.toString('hex')) || "mallory's attestation not held yet";
      },
      'every honest member holds the invalid key and mallory\'s own attestation of it',
    );
    // … and drops the two forgeries (stats are cached by the server for up to 10 s)
    await onAll(
      HONEST,
      async (n) => {
        const q = (await stats(n)).quorum;
        if (q.dropped['bad-signature'] < 2) return `dropped ${JSON.stringify(q.dropped)}`;
        const p = q.pending.find((x) => x.fingerprint === badFpr);
        return (p !== undefined && p.members.join() === 'mallory') || `pending ${JSON.stringify(p)}`;
      },
      'every honest member counts the forgeries as bad-signature and the key pending with mallory alone',
    );
    await sleep(3000); // more gossip rounds change nothing
    for (const n of HONEST) {
      expect((await net.get(n, badFpr)).status).toBe(404);
      expect((await proof(n, badFpr)).status).toBe(404);
      expect(await held(n, forged)).toEqual(new Set()); // never stored, never passed on
      const q = (await stats(n)).quorum;
      // fetched and verified once: a member does not ask mallory again for ids that did not join its set
      expect(q.dropped['bad-signature']).toBe(2);
      expect(q.dropped['not-a-member']).toBe(0);
      expect(q.pending.find((x) => x.fingerprint === badFpr)?.members).toEqual(['mallory']);
      console.log(`${n}: ${q.dropped['bad-signature']} forged attestations dropped as bad-signature`);
    }
  });

  test('replayed old attestations and far-future timestamps do not roll an accepted key back', async () => {
    const k = await makeV4Key('replay@example.org');
    const fpr = keyFingerprint(k.publicKey);
    expect((await net.upload('alpha', armor(k.publicKey))).status).toBe(200);
    await net.waitServed(HONEST, fpr, 60_000);
    const v1 = (await proof('alpha', fpr)).json!;
    expect(v1.members).toEqual(HONEST);
    const v1Honest = v1.attestations.map((a) => decodeAttestation(Buffer.from(a, 'base64')));
    const v1Fields = decodeStatement(v1Honest[0].statement);

    // V2: the owner adds a User ID
    const privateKey = await openpgp.readPrivateKey({ binaryKey: k.secretKey });
    const reformatted = await openpgp.reformatKey({
      privateKey,
      userIDs: [
        { name: 'Version Four', email: 'replay@example.org' },
        { name: 'Version Four', email: 'replay-second@example.org' },
      ],
      format: 'binary',
    });
    const up = await net.upload('alpha', armor(Buffer.from(reformatted.publicKey)));
    expect(up.status).toBe(200);
    expect(up.text).toMatch(/^0 new, 1 updated/);
    let v2Hash = '';
    await onAll(
      HONEST,
      async (n) => {
        const p = await proof(n, fpr);
        if (!p.json || p.json.keyHash === v1.keyHash) return `accepted: ${p.json?.keyHash ?? p.status}`;
        v2Hash = p.json.keyHash;
        return true;
      },
      'V2 is accepted everywhere',
    );
    const v2 = (await proof('alpha', fpr)).json!;
    expect(v2.members).toEqual(HONEST);
    expect(Buffer.from(v2.key, 'base64').includes('replay-second@example.org')).toBe(true);
    const v2Fields = decodeStatement(decodeAttestation(Buffer.from(v2.attestations[0], 'base64')).statement);

    // mallory re-serves the old V1 proof's attestations, votes for V1 "ten years from now" and
    // for V2 before V1 ever existed: it says V1 is the newer version
    const earliestV1 = Math.min(...v1Honest.map((a) => decodeStatement(a.statement).timestamp));
    const replayed = mallory.publish(...v1Honest, mallory.attest(v1Fields, Date.now() + 10 * 365 * 86_400_000), mallory.attest(v2Fields, earliestV1 - 60_000));
    await uploadHonest('charlie', 'honest-two@example.org');
    await onAll(
      HONEST,
      async (n) => {
        const h = await held(n, replayed);
        return h.size === replayed.length || `holds ${h.size} of ${replayed.length}`;
      },
      'every honest member holds the replayed and far-future attestations',
    );
    await sleep(3000);
    for (const n of HONEST) {
      const p = (await proof(n, fpr)).json!;
      expect(p.keyHash).toBe(v2Hash);
      expect(p.keyHash).not.toBe(v1.keyHash);
      expect(Buffer.from(p.key, 'base64').includes('replay-second@example.org')).toBe(true);
      // V1 had one User ID, V2 has two: the key served is V2
      const got = await net.get(n, fpr);
      expect(got.status).toBe(200);
      expect(dearmor(got.text)[0].data.includes('replay-second@example.org')).toBe(true);
    }
    expect(v2Fields.keyHash.toString('hex')).toBe(v2Hash);
  });

  test('an equivocating member is caught and its vote for that key stops counting', async () => {
    await net.stop('charlie');
    const k = (await makeV4Key('equivocation@example.org')).publicKey;
    const fpr = keyFingerprint(k);
    expect((await net.upload('alpha', armor(k))).status).toBe(200);
    await uploadHonest('alpha', 'honest-three@example.org');
    // mallory holds the key too and attests it like an honest member: with alpha and bravo, k = 3
    expect(mallory.store.ingest(splitPackets(k)).status).toBe('new');
    const version = mallory.versionOf(fpr);
    const t = Date.now();
    mallory.publish(mallory.attest(version, t));
    await net.waitServed(['alpha', 'bravo'], fpr, 60_000);
    for (const n of ['alpha', 'bravo']) expect((await proof(n, fpr)).json!.members).toEqual(['alpha', 'bravo', 'mallory']);

    // then it signs a second statement with the same timestamp about another version
    mallory.publish(mallory.attest({ ...version, keyHash: randomBytes(16), packetsSha256: randomBytes(32) }, t));
    await onAll(
      ['alpha', 'bravo'],
      async (n) => {
        const [g, p] = await Promise.all([net.get(n, fpr), proof(n, fpr)]);
        return (g.status === 404 && p.status === 404) || `get ${g.status}, x-quorum ${p.status}`;
      },
      'alpha and bravo stop serving the key that only mallory\'s vote carried',
    );
    await onAll(
      ['alpha', 'bravo'],
      async (n) => (await stats(n)).quorum.evidence.some((e) => e.member === 'mallory' && e.fingerprint === fpr) || 'no evidence yet',
      'alpha and bravo show evidence naming mallory',
    );
    await sleep(2000);
    for (const n of ['alpha', 'bravo']) expect((await net.get(n, fpr)).status).toBe(404);

    // charlie comes back: the key is accepted by the honest three alone, and charlie learns the evidence
    await net.start('charlie');
    await net.waitServed(HONEST, fpr, 60_000);
    await onAll(
      ['charlie'],
      async (n) => (await stats(n)).quorum.evidence.some((e) => e.member === 'mallory' && e.fingerprint === fpr) || 'no evidence yet',
      'charlie shows evidence naming mallory',
    );
    for (const n of HONEST) {
      expect((await proof(n, fpr)).json!.members).toEqual(HONEST);
      const ev = (await stats(n)).quorum.evidence.filter((e) => e.fingerprint === fpr);
      expect(ev.length).toBeGreaterThanOrEqual(1);
      expect(ev.every((e) => e.member === 'mallory' && e.signer === mallory.identity.idText)).toBe(true);
    }
  });

  test('honest keys uploaded meanwhile are accepted and served by all three honest members', async () => {
    expect(honestKeys.map((h) => h.to)).toEqual(['bravo', 'charlie', 'alpha']);
    await uploadHonest('bravo', 'honest-four@example.org');
    for (const { fpr } of honestKeys) {
      await net.waitServed(HONEST, fpr, 60_000);
      for (const n of HONEST) {
        const p = (await proof(n, fpr)).json!;
        expect(p.members).toEqual(HONEST);
        expect(p.attestations).toHaveLength(3);
      }
    }
    // and the invalid key is still nowhere served
    for (const n of HONEST) {
      expect((await net.get(n, badFpr)).status).toBe(404);
      expect((await proof(n, badFpr)).status).toBe(404);
    }
  });
});
