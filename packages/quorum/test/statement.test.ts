import { createHash, createPrivateKey } from 'node:crypto';
import { NodeIdentity } from '../src/identity';
import { MalformedError } from '../src/errors';
import {
  Attestation,
  attestationId,
  decodeAttestation,
  decodeStatement,
  encodeAttestation,
  encodeStatement,
  signStatement,
  StatementFields,
  verifyAttestation,
} from '../src/statement';
import { peerSet } from './helpers';

const sha = (s: string) => createHash('sha256').update(s).digest();

/** An identity from a fixed seed (PKCS#8 DER of an RFC 8032 seed), for a known-answer vector. */
function fixedIdentity(seedByte: number): NodeIdentity {
  const der = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), Buffer.alloc(32, seedByte)]);
  return new NodeIdentity(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
}

function fields(over: Partial<StatementFields> = {}): StatementFields {
  return {
    signer: Buffer.alloc(32, 0x11),
    fingerprint: Buffer.alloc(20, 0x22),
    keyHash: Buffer.alloc(16, 0x33),
    packetsSha256: Buffer.alloc(32, 0x44),
    policyHash: Buffer.alloc(32, 0x55),
    timestamp: 1_700_000_000_123,
    ...over,
  };
}

function malformed(f: () => unknown): MalformedError {
  try {
    f();
  } catch (e) {
    if (e instanceof MalformedError) return e;
    throw e;
  }
  throw new Error('did not throw MalformedError');
}

describe('attestation statement encoding', () => {
  test('known layout: tag, signer, fingerprint, hashes, policy, u64 timestamp', () => {
    const bytes = encodeStatement(fields());
    expect(bytes.toString('hex')).toBe(
      '12' + Buffer.from('dkeyserv/attest/v1').toString('hex') +
        '11'.repeat(32) + '14' + '22'.repeat(20) + '33'.repeat(16) + '44'.repeat(32) + '55'.repeat(32) +
        '0000018bcfe5687b',
    );
    expect(bytes).toHaveLength(160);
    expect(encodeStatement(fields({ fingerprint: Buffer.alloc(32, 0x66) }))).toHaveLength(172);
  });

  test('round trip for v4 and v6 fingerprints and the extreme timestamps', () => {
    for (const f of [fields(), fields({ fingerprint: sha('v6') }), fields({ timestamp: 0 }), fields({ timestamp: Number.MAX_SAFE_INTEGER })]) {
      expect(decodeStatement(encodeStatement(f))).toEqual(f);
    }
  });

  test('decoding is strict: every truncation, trailing bytes, wrong tag, lengths, range', () => {
    const bytes = encodeStatement(fields());
    for (let n = 0; n < bytes.length; n++) malformed(() => decodeStatement(bytes.subarray(0, n)));
    expect(malformed(() => decodeStatement(Buffer.concat([bytes, Buffer.from([0])]))).message).toMatch(/1 trailing bytes/);
    const retag = Buffer.from(bytes);
    retag[18] ^= 1; // "dkeyserv/attest/v1" → "…/v0"
    expect(malformed(() => decodeStatement(retag)).message).toMatch(/not a dkeyserv\/attest\/v1/);
    const tagLength = Buffer.from(bytes);
    tagLength[0] = 17;
    malformed(() => decodeStatement(tagLength));
    for (const len of [0, 16, 21, 31, 33, 255]) {
      const b = Buffer.from(bytes);
      b[51] = len; // the fingerprint's length byte
      expect(malformed(() => decodeStatement(b)).message).toMatch(/fingerprint has length/);
    }
    const huge = Buffer.from(bytes);
    huge.fill(0xff, huge.length - 8);
    expect(malformed(() => decodeStatement(huge)).message).toMatch(/timestamp out of range/);
    expect(malformed(() => decodeStatement(Buffer.alloc(0))).reason).toBe('malformed');
  });

  test('encoding refuses fields of the wrong length and bad timestamps', () => {
    malformed(() => encodeStatement(fields({ signer: Buffer.alloc(31) })));
    malformed(() => encodeStatement(fields({ fingerprint: Buffer.alloc(16) }))); // v3 keys are not attested
    malformed(() => encodeStatement(fields({ keyHash: Buffer.alloc(20) })));
    malformed(() => encodeStatement(fields({ packetsSha256: Buffer.alloc(31) })));
    malformed(() => encodeStatement(fields({ policyHash: Buffer.alloc(33) })));
    malformed(() => encodeStatement(fields({ timestamp: -1 })));
    malformed(() => encodeStatement(fields({ timestamp: 1.5 })));
    malformed(() => encodeStatement(fields({ timestamp: 2 ** 53 })));
  });

  test('attestations travel as statement ‖ signature, strictly decoded; ids are 16 bytes of SHA-256', () => {
    const signer = fixedIdentity(7);
    const att = signStatement(signer, { ...fields(), timestamp: 42 });
    // Ed25519 is deterministic: a known answer, computed independently with Python's cryptography
    expect(signer.idText).toBe('6kpsY+KcUgq+9VB7Ey7F+ZVHdq6+vnuSQh7qaRRG0iw=');
    expect(att.signature.toString('hex')).toBe(
      'a7dd5562f97e71e020ccf772b4428693216795dc63c7b4ee2f239d647cfa695dec3cb07ceb1badc212a3f184c2be7b5018ea9698591b0c788a9fd2aa17f9a605',
    );
    expect(decodeStatement(att.statement).signer).toEqual(signer.id);
    const wire = encodeAttestation(att);
    expect(wire).toHaveLength(160 + 64);
    expect(decodeAttestation(wire)).toEqual(att);
    malformed(() => decodeAttestation(wire.subarray(0, wire.length - 1)));
    malformed(() => decodeAttestation(Buffer.concat([wire, Buffer.from([0])])));
    const id = attestationId(att);
    expect(id).toEqual(createHash('sha256').update(att.statement).digest().subarray(0, 16));
    expect(attestationId(signStatement(signer, { ...fields(), timestamp: 43 }))).not.toEqual(id);
  });
});

describe('attestation signatures', () => {
  const { ids, policy } = peerSet(4);
  const claim = { fingerprint: sha('key').subarray(0, 20), keyHash: Buffer.alloc(16, 9), packetsSha256: sha('packets'), policyHash: policy.hash, timestamp: 1_700_000_000_000 };
  const att = signStatement(ids[1], claim);

  test('a member’s attestation verifies and names the member', () => {
    const v = verifyAttestation(att, policy);
    expect(v.ok).toBe(true);
    if (v.ok) {
      expect(v.member.name).toBe('bravo');
      expect(v.fields).toEqual({ ...claim, signer: ids[1].id });
    }
  });

  // byte ranges of each field in a statement with a 20-byte fingerprint
  const FIELDS: [string, number, number, string][] = [
    ['domain tag', 0, 19, 'malformed'],
    ['signer', 19, 51, 'not-a-member'],
    ['fingerprint length', 51, 52, 'malformed'],
    ['fingerprint', 52, 72, 'bad-signature'],
    ['keyHash', 72, 88, 'bad-signature'],
    ['packetsSha256', 88, 120, 'bad-signature'],
    ['policyHash', 120, 152, 'other-policy'],
    ['timestamp’s top byte', 152, 153, 'malformed'], // over 2^53 ms
    ['timestamp', 153, 160, 'bad-signature'],
  ];

  test.each(FIELDS)('tampering any byte of the %s is caught', (_name, from, to, reason) => {
    for (let i = from; i < to; i++) {
      const statement = Buffer.from(att.statement);
      statement[i] ^= 0x01;
      const v = verifyAttestation({ statement, signature: att.signature }, policy);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.reason).toBe(reason);
    }
  });

  test('a member id substituted by another member’s is a bad signature (forgery)', () => {
    const statement = encodeStatement({ ...claim, signer: ids[2].id });
    expect(verifyAttestation({ statement, signature: ids[3].sign(statement) }, policy)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  test('tampered or missing signatures, non-members and other policies are refused', () => {
    for (let i = 0; i < 64; i++) {
      const signature = Buffer.from(att.signature);
      signature[i] ^= 0x80;
      expect(verifyAttestation({ statement: att.statement, signature }, policy)).toEqual({ ok: false, reason: 'bad-signature' });
    }
    expect(verifyAttestation({ statement: att.statement, signature: att.signature.subarray(0, 63) }, policy)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyAttestation({ statement: att.statement, signature: Buffer.alloc(0) }, policy)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyAttestation(signStatement(NodeIdentity.generate(), claim), policy)).toEqual({ ok: false, reason: 'not-a-member' });
    const other = peerSet(4, { identities: ids, version: 2 }).policy;
    expect(verifyAttestation(signStatement(ids[0], { ...claim, policyHash: other.hash }), policy)).toEqual({ ok: false, reason: 'other-policy' });
    expect(verifyAttestation(signStatement(ids[0], { ...claim, policyHash: other.hash }), other).ok).toBe(true);
  });

  test('a statement signed for another purpose does not verify as an attestation', () => {
    const fake: Attestation = { statement: Buffer.from('dkeyserv/attest/v0 anything'), signature: ids[0].sign(Buffer.from('x')) };
    expect(verifyAttestation(fake, policy)).toEqual({ ok: false, reason: 'malformed' });
  });
});
