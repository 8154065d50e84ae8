#!/usr/bin/env node
/**
 * bench/gen-keys.mjs -- valid OpenPGP v4 public keys at scale, for bench/scale.sh and tests.
 *
 *   node bench/gen-keys.mjs N OUTDIR [--keys-per-file K] [--workers W] [--seed S]
 *
 * Writes into OUTDIR (created if missing):
 *   sks-dump-NNNN.pgp        K keys each (default 15000), concatenated binary transferable keys
 *   metadata-sks-dump.txt    md5 per file, in the layout `dkeyserv dump` writes
 *                            (packages/cli/src/commands/dump.ts); host and dates are fixed
 *   fingerprints.txt         line i: the primary key fingerprint of key i (40 upper-case hex)
 *   emails.txt               line i: the e-mail address of key i's first User ID
 *   revoked.txt              0-based indices of the revoked keys, one per line
 *   COMPLETE                 written last: "N K SEED"; a directory without it is unfinished
 * Both `sks fastbuild`/`sks build` and `dkeyserv import` read the dump files.
 *
 * Key i depends only on (SEED, i): its secrets are hashes of the index, Ed25519 signatures
 * are deterministic, so every run (and every worker count) writes byte-identical files, and
 * the first M keys of an N-key set equal an M-key set. The secrets are derivable by anyone:
 * these keys are for tests only.
 *
 * Shape of every key (RFC 9580 §5 packet layouts; legacy EdDSA/ECDH for v4 as gpg and sq use):
 *   tag 6   v4 EdDSALegacy (22) Ed25519 primary, creation time in 2005..2025
 *   tag 2   0x20 key revocation with a reason-for-revocation subpacket, codes 0-3  (1 % of keys)
 *   tag 13  "First Last [(comment)] <userNNNNNNN@domain>"; 5 % of keys have a second User ID
 *   tag 2   0x13 positive self-certification (key flags C+S, preferences, features)
 *   tag 2   third-party certifications 0x10-0x13 by earlier, unrevoked keys (10 % of keys,
 *           1-20 each, few mostly; popular signers are the low indices)
 *   tag 14  v4 ECDH (18) Cv25519 subkey, KDF SHA-256/AES-128
 *   tag 2   0x18 subkey binding, key flags encrypt-communications + encrypt-storage
 * Every signature is SHA-256 with the issuer fingerprint (hashed) and key ID (unhashed).
 *
 * Plain Node ESM, node:crypto and node:worker_threads only (one worker per CPU by default).
 */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const FORMAT = 'dkeyserv-bench-keys/1';
const EPOCH_FIRST = Date.UTC(2005, 0, 1) / 1000;
const EPOCH_LAST = Date.UTC(2025, 11, 31, 23, 59, 59) / 1000;

const ALGO_ECDH = 18;
const ALGO_EDDSA_LEGACY = 22;
const HASH_SHA256 = 8;
const OID_ED25519 = Buffer.from('2b06010401da470f01', 'hex');
const OID_CV25519 = Buffer.from('2b060104019755010501', 'hex');
const ECDH_KDF = Buffer.from([3, 1, HASH_SHA256, 7]); // reserved 1, SHA-256, AES-128

const Tag = { Signature: 2, PublicKey: 6, UserId: 13, PublicSubkey: 14 };
const Sig = { Generic: 0x10, Persona: 0x11, Casual: 0x12, Positive: 0x13, SubkeyBinding: 0x18, KeyRevocation: 0x20 };
const Sub = {
  Created: 2, PrefSymmetric: 11, Issuer: 16, PrefHash: 21, PrefCompression: 22, KeyserverPrefs: 23,
  PrimaryUid: 25, KeyFlags: 27, RevocationReason: 29, Features: 30, IssuerFingerprint: 33,
};

const GIVEN = ['Ada', 'Bruno', 'Chiara', 'Dorota', 'Emeka', 'Farid', 'Greta', 'Hannah', 'Ilja', 'Jamal',
  'Katrin', 'Lars', 'Mei', 'Nikolai', 'Oona', 'Pablo', 'Qiu', 'Rosa', 'Stefan', 'Tariq', 'Ute', 'Valentina',
  'Wiebke', 'Xiang', 'Yara', 'Zoltan', 'Ægir', 'Ðorđe', 'Émilie', 'Göran', 'Iñaki', 'Jörg', 'Łucja', 'Renée'];
const FAMILY = ['Abara', 'Becker', 'Castillo', 'Dąbrowski', 'Eriksson', 'Fontaine', 'Gallo', 'Hoffmann',
  'Ishikawa', 'Jovanović', 'Keller', 'Lindqvist', 'Moreno', 'Nakamura', 'Okafor', 'Petrenko', 'Quispe',
  'Rahman', 'Sørensen', 'Thompson', 'Ulrich', 'Vasquez', 'Wójcik', 'Yilmaz', 'Zimmermann', 'Ó Briain'];
const COMMENTS = ['work', 'home', 'release signing', 'backup', 'travel'];
const ORGS = ['example.org', 'example.com', 'example.net', 'mail.example', 'lists.example.org'];
const REASON_TEXT = ['', 'replaced by a newer key', 'private key leaked', 'retired'];

// ------------------------------------------------------------------------------ encoding
const be16 = (n) => Buffer.from([(n >>> 8) & 0xff, n & 0xff]);
const be32 = (n) => Buffer.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
const digest = (algo, ...parts) => parts.reduce((h, p) => h.update(p), createHash(algo)).digest();

/** RFC 9580 §4.2.1 length octets (one, two or five octets) */
function lengthOctets(n) {
  if (n < 192) return Buffer.from([n]);
  if (n < 8384) return Buffer.from([((n - 192) >> 8) + 192, (n - 192) & 0xff]);
  return Buffer.concat([Buffer.from([0xff]), be32(n)]);
}

/** OpenPGP-format packet: tag octet 0xC0|tag, length, body */
const encodePacket = (tag, body) => Buffer.concat([Buffer.from([0xc0 | tag]), lengthOctets(body.length), body]);

/** signature subpacket (§5.2.3.7): the length counts the type octet */
const subpacket = (type, data) => Buffer.concat([lengthOctets(data.length + 1), Buffer.from([type]), data]);

/** MPI (§3.2): bit count, then the value without leading zero octets */
function mpi(value) {
  let i = 0;
  while (i < value.length - 1 && value[i] === 0) i++;
  const v = value.subarray(i);
  return Buffer.concat([be16(v[0] === 0 ? 0 : (v.length - 1) * 8 + 32 - Math.clz32(v[0])), v]);
}

/** v4 ECC public key body (§5.5.2, §5.5.5.5-6): version, time, algorithm, OID, point [, KDF] */
function publicKeyBody(created, algo, oid, rawPoint, kdf) {
  const parts = [Buffer.from([4]), be32(created), Buffer.from([algo, oid.length]), oid, mpi(Buffer.concat([Buffer.from([0x40]), rawPoint]))];
  if (kdf) parts.push(kdf);
  return Buffer.concat(parts);
}

/** what a v4 signature hashes for a key (§5.2.4): 0x99, two-octet length, body */
const keyMaterial = (body) => Buffer.concat([Buffer.from([0x99]), be16(body.length), body]);
/** ... and for a User ID: 0xB4, four-octet length, the ID */
const userIdMaterial = (uid) => Buffer.concat([Buffer.from([0xb4]), be32(uid.length), uid]);

// ------------------------------------------------------------------------------ key pairs
const PKCS8_PREFIX = {
  Ed25519: Buffer.from('302e020100300506032b657004220420', 'hex'),
  X25519: Buffer.from('302e020100300506032b656e04220420', 'hex'),
};
const ZERO_X = Buffer.alloc(32).toString('base64url');

/**
 * Key pair from a 32-octet secret. Importing a JWK is an order of magnitude faster than a PKCS#8
 * DER in Node 20 (OpenSSL 3 decoders), and Node derives the public half from `d`; selfTest()
 * checks that against the DER path once per thread and switches to DER if they ever differ.
 */
let viaJwk = true;
function keyPair(curve, secret) {
  const privateKey = viaJwk
    ? createPrivateKey({ key: { kty: 'OKP', crv: curve, d: secret.toString('base64url'), x: ZERO_X }, format: 'jwk' })
    : createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[curve], secret]), format: 'der', type: 'pkcs8' });
  const point = Buffer.from(createPublicKey(privateKey).export({ format: 'jwk' }).x, 'base64url');
  return { privateKey, point };
}
function selfTest() {
  for (const curve of ['Ed25519', 'X25519']) {
    const secret = digest('sha256', FORMAT, 'self-test', curve);
    const der = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX[curve], secret]), format: 'der', type: 'pkcs8' });
    const expected = createPublicKey(der).export({ format: 'der', type: 'spki' }).subarray(-32);
    try {
      if (!keyPair(curve, secret).point.equals(expected)) viaJwk = false;
    } catch {
      viaJwk = false;
    }
  }
}

// ------------------------------------------------------------------------------ randomness
/**
 * Deterministic stream of 32-bit draws: SHA-256(seed || counter), eight draws per block.
 * `unit()` is uniform in [0, 1), `below(n)` an integer in [0, n), `skewed(n, p)` favours 0.
 */
function drawStream(seed) {
  let block = Buffer.alloc(0);
  let at = 32;
  let counter = 0;
  const u32 = () => {
    if (at >= 32) {
      block = digest('sha256', seed, be32(counter++));
      at = 0;
    }
    const v = block.readUInt32BE(at);
    at += 4;
    return v;
  };
  const unit = () => u32() / 2 ** 32;
  return {
    unit,
    below: (n) => Math.floor(unit() * n),
    skewed: (n, power) => Math.floor(unit() ** power * n),
    chance: (p) => unit() < p,
    pick: (list) => list[Math.floor(unit() * list.length)],
    /** a time in [from, to], skewed towards `from` */
    timeAfter: (from, to) => (to <= from ? from : from + Math.floor(unit() ** 2 * (to - from + 1))),
  };
}

// ------------------------------------------------------------------------------ keys
function keyFactory(seed) {
  selfTest();
  const secretOf = (i, label) => digest('sha256', `${FORMAT}\0${seed}\0${i}\0${label}`);
  /** primary key i: what signing needs and what other keys need to know (LRU cache) */
  const primaries = new Map();
  function primary(i) {
    const hit = primaries.get(i);
    if (hit) {
      primaries.delete(i);
      primaries.set(i, hit);
      return hit;
    }
    const { privateKey, point } = keyPair('Ed25519', secretOf(i, 'primary'));
    const plan = drawStream(secretOf(i, 'plan'));
    const created = EPOCH_FIRST + Math.floor(plan.unit() * (EPOCH_LAST - EPOCH_FIRST - 86400 * 30));
    const revoked = plan.chance(0.01);
    const body = publicKeyBody(created, ALGO_EDDSA_LEGACY, OID_ED25519, point);
    const fingerprint = digest('sha1', keyMaterial(body));
    const p = { index: i, privateKey, body, created, revoked, fingerprint, keyId: fingerprint.subarray(12), plan };
    primaries.set(i, p);
    if (primaries.size > 4096) primaries.delete(primaries.keys().next().value);
    return p;
  }

  /** a v4 signature packet by `signer` over `material` (§5.2.3, §5.2.4) */
  function signature(signer, type, created, hashedExtra, material) {
    const hashed = Buffer.concat([
      subpacket(Sub.IssuerFingerprint, Buffer.concat([Buffer.from([4]), signer.fingerprint])),
      subpacket(Sub.Created, be32(created)),
      ...hashedExtra,
    ]);
    const prefix = Buffer.concat([Buffer.from([4, type, ALGO_EDDSA_LEGACY, HASH_SHA256]), be16(hashed.length), hashed]);
    const hash = digest('sha256', ...material, prefix, Buffer.from([4, 0xff]), be32(prefix.length));
    const rs = sign(null, hash, signer.privateKey); // legacy EdDSA signs the hash value
    const unhashed = subpacket(Sub.Issuer, signer.keyId);
    return encodePacket(Tag.Signature, Buffer.concat([prefix, be16(unhashed.length), unhashed, hash.subarray(0, 2), mpi(rs.subarray(0, 32)), mpi(rs.subarray(32))]));
  }

  /** key i: { bytes, fingerprint (hex), email, revoked } */
  function key(i) {
    const me = primary(i);
    // the key's own stream, independent of the cached `plan` (which a signer lookup may have used)
    const r = drawStream(secretOf(i, 'shape'));
    const keyHashed = keyMaterial(me.body);
    const packets = [encodePacket(Tag.PublicKey, me.body)];
    const last = EPOCH_LAST;

    if (me.revoked) {
      const code = r.below(4);
      const reason = Buffer.concat([Buffer.from([code]), Buffer.from(REASON_TEXT[code], 'utf8')]);
      packets.push(signature(me, Sig.KeyRevocation, r.timeAfter(me.created + 86400, last), [subpacket(Sub.RevocationReason, reason)], [keyHashed]));
    }

    const name = `${r.pick(GIVEN)} ${r.pick(FAMILY)}`;
    const local = `user${String(i).padStart(7, '0')}`;
    const firstDomain = r.chance(0.6) ? r.pick(ORGS) : `corp${r.skewed(3000, 2)}.example`;
    const email = `${local}@${firstDomain}`;
    const comment = r.chance(0.04) ? ` (${r.pick(COMMENTS)})` : '';
    const userIds = [`${name}${comment} <${email}>`];
    if (r.chance(0.05)) userIds.push(`${name} <${local}@${firstDomain === 'example.net' ? 'example.com' : 'example.net'}>`);

    const signers = [];
    if (i > 0 && r.chance(0.1)) {
      const want = Math.min(i, 1 + r.skewed(20, 2.5));
      const tried = new Set();
      for (let attempt = 0; signers.length < want && attempt < 10 * want; attempt++) {
        const s = r.skewed(i, 2);
        if (tried.has(s)) continue;
        tried.add(s);
        if (!primary(s).revoked) signers.push(s);
      }
    }

    let thirdParty = 0;
    userIds.forEach((text, u) => {
      const uid = Buffer.from(text, 'utf8');
      const material = [keyHashed, userIdMaterial(uid)];
      packets.push(encodePacket(Tag.UserId, uid));
      const selfTime = u === 0 ? me.created : r.timeAfter(me.created, last);
      const prefs = [
        subpacket(Sub.KeyFlags, Buffer.from([0x03])),
        subpacket(Sub.PrefSymmetric, Buffer.from([9, 8, 7])),
        subpacket(Sub.PrefHash, Buffer.from([10, 9, 8])),
        subpacket(Sub.PrefCompression, Buffer.from([2, 1])),
        subpacket(Sub.Features, Buffer.from([0x01])),
        subpacket(Sub.KeyserverPrefs, Buffer.from([0x80])),
      ];
      if (u === 0 && userIds.length > 1) prefs.push(subpacket(Sub.PrimaryUid, Buffer.from([1])));
      packets.push(signature(me, Sig.Positive, selfTime, prefs, material));
      for (const s of signers) {
        if (thirdParty >= 20 || (u > 0 && r.chance(0.5))) continue;
        const signer = primary(s);
        const roll = r.unit();
        const type = roll < 0.7 ? Sig.Generic : roll < 0.88 ? Sig.Positive : roll < 0.96 ? Sig.Casual : Sig.Persona;
        packets.push(signature(signer, type, r.timeAfter(Math.max(selfTime, signer.created), last), [], material));
        thirdParty++;
      }
    });

    const subCreated = r.chance(0.8) ? me.created : r.timeAfter(me.created, last);
    const sub = keyPair('X25519', secretOf(i, 'subkey'));
    const subBody = publicKeyBody(subCreated, ALGO_ECDH, OID_CV25519, sub.point, ECDH_KDF);
    packets.push(encodePacket(Tag.PublicSubkey, subBody));
    packets.push(signature(me, Sig.SubkeyBinding, subCreated, [subpacket(Sub.KeyFlags, Buffer.from([0x0c]))], [keyHashed, keyMaterial(subBody)]));

    return { bytes: Buffer.concat(packets), fingerprint: me.fingerprint.toString('hex').toUpperCase(), email, revoked: me.revoked };
  }
  return key;
}

// ------------------------------------------------------------------------------ worker
if (!isMainThread) {
  const key = keyFactory(workerData.seed);
  parentPort.on('message', ({ id, from, to }) => {
    const parts = [];
    const fingerprints = [];
    const emails = [];
    const revoked = [];
    for (let i = from; i < to; i++) {
      const k = key(i);
      parts.push(k.bytes);
      fingerprints.push(k.fingerprint);
      emails.push(k.email);
      if (k.revoked) revoked.push(i);
    }
    const bytes = Buffer.concat(parts);
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    parentPort.postMessage({ id, ab, fingerprints, emails, revoked }, [ab]);
  });
}

// ------------------------------------------------------------------------------ main
function usage(problem) {
  if (problem) process.stderr.write(`gen-keys: ${problem}\n`);
  process.stderr.write('usage: node bench/gen-keys.mjs N OUTDIR [--keys-per-file K] [--workers W] [--seed S]\n');
  process.exit(2);
}

function options(argv) {
  const o = { keysPerFile: 15000, workers: availableParallelism(), seed: 'dkeyserv', batch: 250 };
  const positional = [];
  for (let a = 0; a < argv.length; a++) {
    const arg = argv[a];
    const value = () => (a + 1 < argv.length ? argv[++a] : usage(`${arg} needs a value`));
    if (arg === '--keys-per-file' || arg === '-n') o.keysPerFile = Number(value());
    else if (arg === '--workers') o.workers = Number(value());
    else if (arg === '--seed') o.seed = value();
    else if (arg === '-h' || arg === '--help') usage();
    else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else positional.push(arg);
  }
  if (positional.length !== 2) usage();
  o.count = Number(positional[0]);
  o.outDir = positional[1];
  for (const k of ['count', 'keysPerFile', 'workers']) {
    if (!Number.isSafeInteger(o[k]) || o[k] < 1 || o[k] > 100_000_000) usage(`${k} must be a whole number >= 1`);
  }
  return o;
}

async function main() {
  const o = options(process.argv.slice(2));
  mkdirSync(o.outDir, { recursive: true });
  rmSync(join(o.outDir, 'COMPLETE'), { force: true });
  const started = Date.now();

  // batches never straddle a dump file, and are written strictly in index order
  const batches = [];
  for (let from = 0; from < o.count; ) {
    const fileEnd = Math.min((Math.floor(from / o.keysPerFile) + 1) * o.keysPerFile, o.count);
    const to = Math.min(from + o.batch, fileEnd);
    batches.push({ id: batches.length, from, to, file: Math.floor(from / o.keysPerFile) });
    from = to;
  }
  const dumpName = (f) => `sks-dump-${String(f).padStart(4, '0')}.pgp`;
  const lists = {
    fingerprints: openSync(join(o.outDir, 'fingerprints.txt.tmp'), 'w'),
    emails: openSync(join(o.outDir, 'emails.txt.tmp'), 'w'),
    revoked: openSync(join(o.outDir, 'revoked.txt.tmp'), 'w'),
  };
  const files = [];
  let out; // { fd, md5, name }
  const closeDump = () => {
    if (!out) return;
    closeSync(out.fd);
    renameSync(join(o.outDir, out.name + '.tmp'), join(o.outDir, out.name));
    files.push({ name: out.name, md5: out.md5.digest('hex') });
    out = undefined;
  };

  const ready = new Map();
  let written = 0;
  let bytes = 0;
  let revokedCount = 0;
  const write = () => {
    for (let r = ready.get(written); r; r = ready.get(written)) {
      ready.delete(written);
      const b = batches[written];
      if (!out || out.file !== b.file) {
        closeDump();
        const name = dumpName(b.file);
        out = { fd: openSync(join(o.outDir, name + '.tmp'), 'w'), md5: createHash('md5'), name, file: b.file };
      }
      const buf = Buffer.from(r.ab);
      writeSync(out.fd, buf);
      out.md5.update(buf);
      bytes += buf.length;
      writeSync(lists.fingerprints, r.fingerprints.join('\n') + '\n');
      writeSync(lists.emails, r.emails.join('\n') + '\n');
      if (r.revoked.length) writeSync(lists.revoked, r.revoked.join('\n') + '\n');
      revokedCount += r.revoked.length;
      written++;
    }
  };

  const workers = Math.min(o.workers, batches.length);
  let next = 0;
  let lastReport = Date.now();
  await new Promise((resolve, reject) => {
    const idle = [];
    const pool = [];
    // hand out batches while at most a few per worker wait to be written (bounded memory)
    const dispatch = () => {
      while (idle.length && next < batches.length && next - written < 6 * workers) {
        const b = batches[next++];
        idle.pop().postMessage({ id: b.id, from: b.from, to: b.to });
      }
      if (written === batches.length) {
        for (const w of pool) w.terminate();
        resolve();
      }
    };
    for (let w = 0; w < workers; w++) {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { seed: o.seed } });
      pool.push(worker);
      idle.push(worker);
      worker.on('message', (r) => {
        ready.set(r.id, r);
        idle.push(worker);
        write();
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          process.stderr.write(`gen-keys: ${batches[written - 1]?.to ?? 0}/${o.count} keys\n`);
        }
        dispatch();
      });
      worker.on('error', reject);
    }
    dispatch();
  });
  write();
  closeDump();
  for (const [name, fd] of Object.entries(lists)) {
    closeSync(fd);
    renameSync(join(o.outDir, `${name}.txt.tmp`), join(o.outDir, `${name}.txt`));
  }
  // fixed host and dates: the whole directory is byte-identical between runs
  const meta = [
    '#Metadata-for: dkeyserv-bench-gen-keys',
    '#Dump-started: 2026-01-01 00:00:00',
    `#Files-Count: ${files.length}`,
    `#Key-Count: ${o.count}`,
    '#Digest-algo: md5',
    ...files.map((f) => `${f.md5}  ${f.name}`),
    '#Dump-ended: 2026-01-01 00:00:00',
    '',
  ].join('\n');
  writeFileSync(join(o.outDir, 'metadata-sks-dump.txt'), meta);
  writeFileSync(join(o.outDir, 'COMPLETE'), `${o.count} ${o.keysPerFile} ${o.seed}\n`);
  const secs = (Date.now() - started) / 1000;
  process.stderr.write(`gen-keys: ${o.count} keys (${revokedCount} revoked), ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB in ${o.outDir}, ${secs.toFixed(1)} s with ${workers} workers\n`);
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`gen-keys: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
