import { parseMembership } from '../src/peer/partners';

describe('SKS membership files', () => {
  test('host port lines, comments and blank lines; bad lines are reported and skipped', () => {
    const m = parseMembership(['# peers', '127.0.0.1 11370   # local sks', '', 'keys.example.org\t11380', 'nonsense', '10.0.0.1 99999', '  192.0.2.1 11370  '].join('\n'));
    expect(m.partners).toEqual([
      { host: '127.0.0.1', port: 11370, name: '127.0.0.1:11370' },
      { host: 'keys.example.org', port: 11380, name: 'keys.example.org:11380' },
      { host: '192.0.2.1', port: 11370, name: '192.0.2.1:11370' },
    ]);
    expect(m.skipped).toEqual(['line 5: nonsense', 'line 6: 10.0.0.1 99999']);
  });
});
