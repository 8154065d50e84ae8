/** The error hierarchy of the package face: every error thrown on purpose is a ReconError. */
import { DecodeError, HashQueryError, LowMBarError, ReconConfigError, ReconError, ReconProtocolError, ReconSessionError } from '@dkeyserv/recon';

test('every recon error is a ReconError and keeps its class name, reason and message', () => {
  const cases: [Error, string][] = [
    [new ReconProtocolError('truncated', 'frame: needs 4 bytes'), 'ReconProtocolError'],
    [new ReconSessionError('the peer sent no Config within 5 s'), 'ReconSessionError'],
    [new ReconConfigError("refused the peer's config: mbar mismatch"), 'ReconConfigError'],
    [new DecodeError('root-finding', 'no split'), 'DecodeError'],
    [new LowMBarError('degree-difference', 'size difference 9 exceeds mbar 5'), 'LowMBarError'],
    [new HashQueryError('hashquery to 127.0.0.1:11371 timed out after 10 ms'), 'HashQueryError'],
  ];
  for (const [e, name] of cases) {
    expect(e).toBeInstanceOf(ReconError);
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe(name);
  }
  expect(new ReconConfigError('x')).toBeInstanceOf(ReconSessionError);
  expect(new LowMBarError('no-solution', 'x')).toBeInstanceOf(DecodeError);
  expect(new ReconProtocolError('limit', 'too long')).toMatchObject({ reason: 'limit', message: 'too long' });
});
