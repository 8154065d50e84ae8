/**
 * HKP v2 and VKS under `dkeyserv serve --workers 2` (docs/operations.md §12, docs/hkp.md §12,
 * §13): submissions reach the primary's one write path through the worker that took them
 * (routes/store-upload.ts), answer their JSON with the stored version, and every worker then
 * serves the key over v2 and VKS; a v2 error from a worker still carries CORS.
 */
import { httpRequest, startServer, stopAllServers } from '../../../../test/helpers/server';
import { makeKey } from '../helpers/api-server';

afterAll(stopAllServers);

describe('HKP v2 and VKS with HKP workers', () => {
  test('v2 and VKS uploads through workers are stored once and served by every worker', async () => {
    const srv = await startServer({ keys: ['/usr/share/keyrings/debian-role-keys.gpg'], args: ['--workers', '2'] });
    const [a, b] = [await makeKey([{ name: 'Worker A', email: 'worker-a@example.org' }]), await makeKey([{ name: 'Worker B', email: 'worker-b@example.org' }])];

    const v2 = await httpRequest(srv.port, '/pks/v2/certs', { method: 'POST', body: a.binary, contentType: 'application/pgp' });
    expect(v2.status).toBe(200);
    expect(JSON.parse(v2.text).inserted).toEqual([{ version: 4, fingerprint: a.fpr.toLowerCase() }]);
    const vks = await httpRequest(srv.port, '/vks/v1/upload', { method: 'POST', body: JSON.stringify({ keytext: b.armored }), contentType: 'application/json' });
    expect(vks.status).toBe(200);
    expect(JSON.parse(vks.text)).toEqual({ key_fpr: b.fpr, status: { 'worker-b@example.org': 'published' }, token: b.fpr });

    // fresh connections, spread over both workers
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        httpRequest(srv.port, i % 2 ? `/vks/v1/by-email/worker-b%40example.org` : `/pks/v2/certs/by-vfingerprint/04/${a.fpr}`),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(12).fill(200));

    const again = await httpRequest(srv.port, '/pks/v2/certs', { method: 'POST', body: a.binary, contentType: 'application/pgp' });
    expect(JSON.parse(again.text).ignored).toHaveLength(1);
    const miss = await httpRequest(srv.port, '/pks/v2/certs/by-keyid/DEADBEEFDECAFBAD');
    expect(miss.status).toBe(404);
    expect(miss.headers['access-control-allow-origin']).toBe('*');
  });
});
