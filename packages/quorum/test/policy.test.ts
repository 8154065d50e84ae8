import { parse, stringify } from 'smol-toml';
import { NodeIdentity } from '../src/identity';
import { parsePolicy, policyDocument, policyHash, QuorumPolicy, threshold } from '../src/policy';
import { PolicyError } from '../src/errors';
import { NAMES, peerSet } from './helpers';

const ids = Array.from({ length: 7 }, () => NodeIdentity.generate());

function toml(members = 4, extra = ''): string {
  let text = `[quorum]\nname = "example-keyservers"\nversion = 3\n${extra}\n`;
  for (let i = 0; i < members; i++) {
    text += `\n[[quorum.member]]\nname = "${NAMES[i]}"\nkey = "${ids[i].idText}"\nrecon = "${NAMES[i]}.example.org:11370"\nhttp = "https://${NAMES[i]}.example.org"\n`;
  }
  return text;
}

function policyError(doc: unknown): PolicyError {
  try {
    parsePolicy(doc);
  } catch (e) {
    if (e instanceof PolicyError) return e;
    throw e;
  }
  throw new Error('no PolicyError');
}

describe('peer-set policy', () => {
  test('threshold k = ⌊2n/3⌋ + 1 for n = 1..7, tolerating f = n − k with n ≥ 3f + 1', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(threshold)).toEqual([1, 2, 3, 3, 4, 5, 5]);
    for (let n = 1; n <= 7; n++) {
      const { policy } = peerSet(n);
      expect(policy.n).toBe(n);
      expect(policy.k).toBe(threshold(n));
      expect(policy.f).toBe(n - policy.k);
      expect(n).toBeGreaterThanOrEqual(3 * policy.f + 1);
      // any two quorums share more than f members: one honest member is in both
      expect(2 * policy.k - n).toBeGreaterThan(policy.f);
    }
    expect(() => threshold(0)).toThrow(RangeError);
  });

  test('the documented TOML shape parses through smol-toml', () => {
    const policy = parsePolicy(parse(toml()));
    expect(policy.name).toBe('example-keyservers');
    expect(policy.version).toBe(3);
    expect(policy.members.map((m) => m.name)).toEqual(NAMES.slice(0, 4));
    expect(policy.members[1]).toEqual({ name: 'bravo', key: ids[1].id, recon: 'bravo.example.org:11370', http: 'https://bravo.example.org' });
    expect(policy.member(ids[2].id)?.name).toBe('charlie');
    expect(policy.member(ids[5].id)).toBeUndefined();
    expect(`${policy}`).toBe('example-keyservers v3 (4 members, k = 3)');
    // addresses are optional
    const bare = parsePolicy(parse(`[quorum]\nname = "solo"\nversion = 1\n[[quorum.member]]\nname = "me"\nkey = "${ids[0].idText}"\n`));
    expect(bare.members[0]).toEqual({ name: 'me', key: ids[0].id, recon: undefined, http: undefined });
    expect([bare.n, bare.k]).toEqual([1, 1]);
    // and the document writer is its inverse
    expect(parsePolicy(parse(stringify(policyDocument(policy)))).hash).toEqual(policy.hash);
  });

  test('the hash ignores addresses and member order, and covers name, version, keys and member names', () => {
    const base = parsePolicy(parse(toml()));
    const doc = () => parse(toml()) as { quorum: { name: string; version: number; member: Record<string, unknown>[] } };
    const variant = (change: (d: ReturnType<typeof doc>) => void) => {
      const d = doc();
      change(d);
      return parsePolicy(d).hash;
    };
    expect(variant((d) => (d.quorum.member[0].recon = 'alpha2.example.net:11371'))).toEqual(base.hash);
    expect(variant((d) => (d.quorum.member[3].http = 'http://10.0.0.4:8080/'))).toEqual(base.hash);
    expect(variant((d) => d.quorum.member.forEach((m) => (delete m.recon, delete m.http)))).toEqual(base.hash);
    expect(variant((d) => d.quorum.member.reverse())).toEqual(base.hash);
    const others = [
      variant((d) => (d.quorum.name = 'other')),
      variant((d) => (d.quorum.version = 4)),
      variant((d) => (d.quorum.member[0].name = 'alfa')),
      variant((d) => (d.quorum.member[0].key = ids[6].idText)),
      variant((d) => d.quorum.member.pop()),
      parsePolicy(parse(toml(5))).hash,
    ];
    for (const h of others) expect(h).not.toEqual(base.hash);
    expect(new Set(others.map((h) => h.toString('hex'))).size).toBe(others.length);
    expect(base.hash).toEqual(policyHash({ name: base.name, version: base.version, members: base.members }));
  });

  test('invalid policies are refused with the field at fault', () => {
    const doc = () => parse(toml()) as { quorum: Record<string, unknown> & { member: Record<string, unknown>[] } };
    const cases: [(d: ReturnType<typeof doc>) => unknown, RegExp][] = [
      [(d) => (d.quorum.member[1].name = 'alpha'), /quorum\.member\[1\]\.name: "alpha" is listed twice/],
      [(d) => (d.quorum.member[2].key = ids[0].idText), /quorum\.member\[2\]\.key: the same key as member "alpha"/],
      [(d) => (d.quorum.member = []), /at least one/],
      [(d) => delete (d.quorum as Record<string, unknown>).member, /quorum\.member must be a list/],
      [(d) => (d.quorum.member[0].key = ids[0].id.toString('hex')), /quorum\.member\[0\]\.key must be a node id/],
      [(d) => (d.quorum.member[0].key = Buffer.alloc(31).toString('base64')), /quorum\.member\[0\]\.key must be a node id/],
      [(d) => (d.quorum.member[0].key = 7), /quorum\.member\[0\]\.key must be a string/],
      [(d) => (d.quorum.member[0].kye = 'x'), /quorum\.member\[0\]: unknown key kye/],
      [(d) => (d.quorum.threshold = 2), /quorum: unknown key threshold/],
      [(d) => (d.quorum.member[0].recon = 'alpha.example.org'), /recon: expected HOST:PORT/],
      [(d) => (d.quorum.member[0].recon = 'alpha.example.org:70000'), /recon: expected HOST:PORT/],
      [(d) => (d.quorum.member[0].http = 'ftp://alpha.example.org'), /http: expected an http/],
      [(d) => (d.quorum.member[0].http = 'not a url'), /http: expected an http/],
      [(d) => (d.quorum.version = 0), /quorum\.version must be a whole number from 1/],
      [(d) => (d.quorum.version = 1.5), /quorum\.version/],
      [(d) => (d.quorum.version = '3'), /quorum\.version must be a whole number/],
      [(d) => delete d.quorum.name, /quorum\.name must be a string/],
      [(d) => (d.quorum.name = ' padded'), /quorum\.name: " padded" is not 1–64 printable ASCII/],
      [(d) => (d.quorum.member[0].name = 'ålpha'), /quorum\.member\[0\]\.name/],
      [(d) => (d.quorum.member[0].name = ''), /quorum\.member\[0\]\.name/],
      [(d) => (d.quorum.member[0].name = 'x'.repeat(65)), /quorum\.member\[0\]\.name/],
    ];
    for (const [change, message] of cases) {
      const d = doc();
      change(d);
      const e = policyError(d);
      expect(e.reason).toBe('invalid-policy');
      expect(e.message).toMatch(message);
    }
    expect(policyError({}).message).toMatch(/quorum must be a table/);
    expect(policyError(null).message).toMatch(/configuration must be a table/);
    expect(() => new QuorumPolicy({ name: 'x', version: 1, members: [{ name: 'a', key: Buffer.alloc(33) }] })).toThrow(/32 bytes, not 33/);
    // large integers come from smol-toml as bigint
    expect(parsePolicy({ quorum: { ...(parse(toml()) as { quorum: object }).quorum, version: 5n } }).version).toBe(5);
  });

  test('member signatures verify through the policy; a non-member never does', () => {
    const { ids: members, policy } = peerSet(3);
    const msg = Buffer.from('statement');
    expect(policy.verifySignature(members[1].id, msg, members[1].sign(msg))).toBe(true);
    expect(policy.verifySignature(members[1].id, msg, members[2].sign(msg))).toBe(false);
    const outsider = NodeIdentity.generate();
    expect(policy.verifySignature(outsider.id, msg, outsider.sign(msg))).toBe(false);
    expect(policy.verifySignature(members[0].id, msg, Buffer.alloc(63))).toBe(false);
  });
});
