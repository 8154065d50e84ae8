import { MessageReader, encodeMessage } from '../src/messages/codec';
import { checkConfig, configMessage, encodeConfigStatus, parseConfig } from '../src/messages/config';
import type { ConfigEntry, ConfigMessage, ReconConfig } from '../src/messages/config';
import { ReconProtocolError } from '../src/errors';
import { HEX } from './vectors';

const bytes = (h: string) => Buffer.from(h, 'hex');
const SKS_FILTERS = 'yminsky.dedup,yminsky.merge';

const LOCAL: ReconConfig = { version: '1.1.6', httpPort: 11371, bitQuantum: 2, mbar: 5, filters: SKS_FILTERS };

function decodeConfig(h: string): ConfigMessage {
  const reader = new MessageReader();
  reader.push(bytes(h));
  const msg = reader.next();
  if (msg?.type !== 'Config') throw new Error('not a Config');
  return msg;
}

const int4 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const text = (s: string) => Buffer.from(s);

/** A remote Config with overrides; `undefined` removes the key. */
function remote(overrides: Record<string, Buffer | undefined> = {}): ConfigMessage {
  const base: Record<string, Buffer | undefined> = {
    version: text('1.1.6'),
    'http port': int4(11371),
    bitquantum: int4(2),
    mbar: int4(5),
    filters: text(SKS_FILTERS),
    ...overrides,
  };
  const entries: ConfigEntry[] = [];
  for (const [k, v] of Object.entries(base)) if (v) entries.push([k, v]);
  return { type: 'Config', entries };
}

const failed = (reason: string) => ({ passed: false, reason });

describe('Config bytes (docs/recon.md §4, vectors.ts)', () => {
  it('our Config is byte-identical to conflux', () => {
    expect(encodeMessage(configMessage(LOCAL)).toString('hex')).toBe(HEX.configConflux);
  });

  it('decodes the conflux Config', () => {
    const msg = decodeConfig(HEX.configConflux);
    expect(parseConfig(msg)).toEqual({
      version: '1.1.6', httpPort: 11371, bitQuantum: 2, mbar: 5, filters: SKS_FILTERS, custom: new Map(),
    });
    expect(encodeMessage(msg).toString('hex')).toBe(HEX.configConflux);
  });

  it('decodes the SKS Config (keys alphabetical, http port 21371) and re-encodes it byte for byte', () => {
    const msg = decodeConfig(HEX.configSks);
    expect(msg.entries.map(([k]) => k)).toEqual(['bitquantum', 'filters', 'http port', 'mbar', 'version']);
    expect(parseConfig(msg)).toEqual({
      version: '1.1.6', httpPort: 21371, bitQuantum: 2, mbar: 5, filters: SKS_FILTERS, custom: new Map(),
    });
    expect(encodeMessage(msg).toString('hex')).toBe(HEX.configSks);
    // Our own form of the same settings is the conflux key order.
    expect(encodeMessage(configMessage({ ...LOCAL, httpPort: 21371 })).toString('hex')).not.toBe(HEX.configSks);
    expect(checkConfig(LOCAL, msg)).toEqual({ passed: true });
  });

  it('conflux messages_test.go: Config round trip', () => {
    const config: ReconConfig = { version: '3.1415', httpPort: 11371, bitQuantum: 2, mbar: 5, filters: 'testing' };
    const back = decodeConfig(encodeMessage(configMessage(config)).toString('hex'));
    expect(parseConfig(back)).toEqual({ ...config, custom: new Map() });
  });

  it('custom keys follow the five standard ones', () => {
    const msg = configMessage({ ...LOCAL, custom: [['x-dkeyserv', 'quorum']] });
    expect(msg.entries.map(([k]) => k)).toEqual(['version', 'http port', 'bitquantum', 'mbar', 'filters', 'x-dkeyserv']);
    expect(parseConfig(decodeConfig(encodeMessage(msg).toString('hex'))).custom).toEqual(new Map([['x-dkeyserv', 'quorum']]));
    expect(() => configMessage({ ...LOCAL, custom: [['mbar', '6']] })).toThrow(RangeError);
  });

  it('parseConfig requires 4-byte ints like conflux, and reports missing keys as undefined', () => {
    expect(() => parseConfig(remote({ mbar: text('5') }))).toThrow(ReconProtocolError);
    expect(parseConfig(remote({ version: undefined, 'http port': undefined }))).toMatchObject({ version: undefined, httpPort: undefined });
  });
});

describe('checkConfig: SKS rules and reason texts (docs/recon.md §4)', () => {
  it('passes a matching peer, reordered filters, and newer or exactly minimal versions', () => {
    expect(checkConfig(LOCAL, remote())).toEqual({ passed: true });
    expect(checkConfig(LOCAL, remote({ filters: text('yminsky.merge,yminsky.dedup') }))).toEqual({ passed: true });
    expect(checkConfig(LOCAL, remote({ version: text('1.1.5') }))).toEqual({ passed: true });
    expect(checkConfig(LOCAL, remote({ version: text('2.3.1') }))).toEqual({ passed: true });
    expect(checkConfig(LOCAL, remote({ version: text('0.1.5') }))).toEqual({ passed: true });
    // http port is not checked, unknown keys are ignored.
    expect(checkConfig(LOCAL, remote({ 'http port': undefined, extra: text('x') }))).toEqual({ passed: true });
  });

  it('missing entries', () => {
    for (const key of ['version', 'filters', 'bitquantum', 'mbar']) {
      expect(checkConfig(LOCAL, remote({ [key]: undefined }))).toEqual(failed('Missing entry in configdata'));
    }
  });

  it('old or unparsable versions', () => {
    expect(checkConfig(LOCAL, remote({ version: text('0.1.4') }))).toEqual(
      failed('Requires version at least 0.1.5.  0.1.4 provided '),
    );
    expect(checkConfig(LOCAL, remote({ version: text('1.1.6+') }))).toEqual(
      failed('Error parsing configdata: Failure("int_of_string")'),
    );
    expect(checkConfig(LOCAL, remote({ version: text('1.1.6.1') }))).toEqual(
      failed('Error parsing configdata: Failure("int_of_string")'),
    );
    expect(checkConfig(LOCAL, remote({ version: text('1.1') }))).toEqual(
      failed('Error parsing configdata: Invalid_argument("index out of bounds")'),
    );
    // The version is checked before anything else, even before a missing filters entry.
    expect(checkConfig(LOCAL, remote({ version: text('0.0.9'), filters: undefined }))).toEqual(
      failed('Requires version at least 0.1.5.  0.0.9 provided '),
    );
  });

  it('filters compared as sets', () => {
    expect(checkConfig(LOCAL, remote({ filters: text('yminsky.dedup') }))).toEqual(
      failed('filters do not match.\n\tlocal filters: [ yminsky.dedup yminsky.merge ]\n\tremote filters: [ yminsky.dedup ]'),
    );
    expect(checkConfig({ ...LOCAL, filters: '' }, remote())).toEqual(
      failed('filters do not match.\n\tlocal filters: [ ]\n\tremote filters: [ yminsky.dedup yminsky.merge ]'),
    );
  });

  it('bitquantum and mbar', () => {
    expect(checkConfig(LOCAL, remote({ bitquantum: int4(3) }))).toEqual(failed('bitquantum values do not match'));
    expect(checkConfig(LOCAL, remote({ mbar: int4(6) }))).toEqual(failed('mbar values do not match'));
    expect(checkConfig(LOCAL, remote({ bitquantum: int4(3), mbar: int4(6) }))).toEqual(failed('bitquantum values do not match'));
    expect(checkConfig(LOCAL, remote({ mbar: text('5') }))).toEqual(failed('Error parsing configdata: End_of_file'));
  });
});

describe('config status strings (docs/recon.md §4)', () => {
  it('encodes passed and failed + reason as bare strings', () => {
    expect(encodeConfigStatus({ passed: true }).toString('hex')).toBe(HEX.statusPassed);
    expect(encodeConfigStatus({ passed: false, reason: 'mbar values do not match' })).toEqual(
      Buffer.concat([bytes('00000006'), text('failed'), bytes('00000018'), text('mbar values do not match')]),
    );
  });

  it('reads them incrementally, then the framed messages that follow', () => {
    const stream = Buffer.concat([
      encodeConfigStatus({ passed: false, reason: 'filters do not match.' }),
      bytes(HEX.flush),
    ]);
    const reader = new MessageReader();
    let status;
    for (let i = 0; i < stream.length && status === undefined; i++) {
      reader.push(stream.subarray(i, i + 1));
      status = reader.nextStatus();
    }
    expect(status).toEqual({ passed: false, reason: 'filters do not match.' });
    reader.push(stream.subarray(stream.length - 5));
    expect(reader.next()).toEqual({ type: 'Flush' });

    const ok = new MessageReader();
    ok.push(bytes(HEX.statusPassed));
    expect(ok.nextStatus()).toEqual({ passed: true });
    expect(ok.buffered).toBe(0);
  });

  it('rejects anything else', () => {
    for (const bad of ['00000005' + text('yes!!').toString('hex'), '00000006' + text('passes').toString('hex'), 'ffffffff']) {
      const reader = new MessageReader();
      reader.push(bytes(bad));
      expect(() => reader.nextStatus()).toThrow(ReconProtocolError);
    }
    const reader = new MessageReader();
    reader.push(Buffer.concat([bytes('00000006'), text('failed'), bytes('7fffffff')]));
    expect(() => reader.nextStatus()).toThrow(/exceeds the limit/);
  });
});
