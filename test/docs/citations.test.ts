/**
 * Every `docs/<file> §N` that a comment, test, script or doc cites exists, and nothing cites notes
 * that are not in the repository (scripts/check-doc-citations.js).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../helpers/dkeyserv';

test('documentation citations resolve inside the repository', () => {
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/check-doc-citations.js')], { encoding: 'utf8' });
  expect(r.stdout).toMatch(/ 0 problems$/m);
  expect(r.status).toBe(0);
});
