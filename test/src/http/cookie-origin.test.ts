import { expect } from 'chai';
import {
  bearer,
  login,
  OWNER,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
  describeOnBothStorages,
} from '../support/server.js';

/**
 * docs/http-api.md#cookie-authenticated-writes: a state-changing request authenticated only by the session cookie must come from
 * the issuer's origin (`Origin`, or `Sec-Fetch-Site: same-origin`); otherwise 403.
 */
describeOnBothStorages(
  'requests signed in by the session cookie alone (docs/http-api.md#cookie-authenticated-writes)',
  () => {
    let server: TestServer;
    let session: string;
    beforeEach(async () => {
      server = await startTestServer();
      session = await setUpOwner(server.url);
    });
    afterEach(() => server.stop());

    const cookie = (): Record<string, string> => ({ Cookie: `latchkey_session=${session}` });
    const logout = (headers: Record<string, string>) =>
      request(`${server.url}/api/v2/users/logout`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain', ...headers },
        body: '',
      });
    const stillSignedIn = async (): Promise<boolean> =>
      (await request(`${server.url}/api/v2/users/me`, { headers: bearer(session) })).status === 200;

    const refusals: [string, Record<string, string>][] = [
      ['a foreign Origin', { Origin: 'https://evil.example' }],
      ['another origin on the same host', { Origin: 'http://127.0.0.1' }],
      ['Origin: null', { Origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'Sec-Fetch-Site': 'cross-site' }],
      ['Sec-Fetch-Site: same-site', { 'Sec-Fetch-Site': 'same-site' }],
      ['Sec-Fetch-Site: none', { 'Sec-Fetch-Site': 'none' }],
      ['neither Origin nor Sec-Fetch-Site', {}],
    ];

    for (const [what, headers] of refusals) {
      it(`refuses a logout with ${what} with 403 and keeps the session`, async () => {
        const response = await logout({ ...cookie(), ...headers });
        expect(response.status, response.text).to.equal(403);
        expect(response.body).to.have.property('message');
        expect(response.headers.get('set-cookie')).to.equal(null);
        expect(await stillSignedIn()).to.equal(true);
      });
    }

    it('refuses a cross-site logout whose Origin claims the issuer but whose fetch metadata says cross-site', async () => {
      const response = await logout({ ...cookie(), Origin: server.url, 'Sec-Fetch-Site': 'cross-site' });
      expect(response.status).to.equal(403);
      expect(await stillSignedIn()).to.equal(true);
    });

    it('accepts a logout with the issuer as Origin', async () => {
      expect((await logout({ ...cookie(), Origin: server.url })).status).to.equal(204);
      expect(await stillSignedIn()).to.equal(false);
    });

    it('accepts a logout with Sec-Fetch-Site: same-origin (and Origin: null, as no-referrer pages send)', async () => {
      const response = await logout({ ...cookie(), 'Sec-Fetch-Site': 'same-origin', Origin: 'null' });
      expect(response.status).to.equal(204);
      expect(await stillSignedIn()).to.equal(false);
    });

    it('accepts a bearer token from any origin: a page cannot make a browser send that header', async () => {
      const response = await logout({ ...bearer(session), Origin: 'https://evil.example' });
      expect(response.status).to.equal(204);
    });

    it('does not restrict reads', async () => {
      const response = await request(`${server.url}/api/v2/users/me`, {
        headers: { ...cookie(), Origin: 'https://evil.example', 'Sec-Fetch-Site': 'cross-site' },
      });
      expect(response.status).to.equal(200);
    });

    it('refuses a cross-site user creation and creates nobody', async () => {
      const response = await request(`${server.url}/api/v2/users`, {
        method: 'POST',
        headers: { ...cookie(), 'Content-Type': 'application/json', Origin: 'https://evil.example' },
        body: JSON.stringify({ email: 'x@example.com', username: 'x', password: 'long enough 1' }),
      });
      expect(response.status).to.equal(403);
      const users = await request(`${server.url}/api/v2/users`, { headers: bearer(session) });
      expect((users.body as unknown[]).length).to.equal(1);
    });

    it('refuses a cross-site DELETE /oauth2/tokens', async () => {
      const response = await request(
        `${server.url}/oauth2/tokens?client_id=00000000-0000-4000-8000-000000000000`,
        { method: 'DELETE', headers: { ...cookie(), Origin: 'https://evil.example' } },
      );
      expect(response.status).to.equal(403);
    });

    it('lets the owner sign in again after a refused logout (nothing else changed)', async () => {
      await logout({ ...cookie(), Origin: 'https://evil.example' });
      expect(await login(server.url, OWNER.email, OWNER.password)).to.match(/^lk_sess_/);
    });
  },
);
