import { expect } from 'chai';
import {
  bearer,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
} from '../support/server.js';

/** Names every JavaScript object inherits a property for. */
const INHERITED_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

describe('OAuth parameters named like inherited object properties (docs/http-api.md#parameters)', () => {
  let server: TestServer;
  let session: string;
  let basic: string;
  before(async () => {
    server = await startTestServer();
    session = await setUpOwner(server.url);
    const apps = `${server.url}/api/v2/oauth2-provider/apps`;
    const app = await postJson(
      apps,
      { name: 'names', callback_url: 'https://names.example/cb' },
      bearer(session),
    );
    const { id } = app.body as { id: string };
    const secret = await postJson(`${apps}/${id}/secrets`, {}, bearer(session));
    const { client_secret_full: full } = secret.body as { client_secret_full: string };
    basic = `Basic ${Buffer.from(`${id}:${full}`).toString('base64')}`;
  });
  after(() => server.stop());

  for (const name of INHERITED_NAMES) {
    context(`named ${name}`, () => {
      it('is one more unknown parameter at the authorization endpoint: the error page for no client', async () => {
        const response = await request(`${server.url}/oauth2/authorize?${name}=x`, {
          headers: { Cookie: `latchkey_session=${session}` },
        });
        expect(response.status, response.text).to.equal(400);
        expect(response.headers.get('content-type')).to.match(/^text\/html/);
      });

      it('is one more unknown parameter at the token endpoint: invalid_grant for an unknown code', async () => {
        const response = await request(`${server.url}/oauth2/tokens`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic },
          body: `${name}=x&grant_type=authorization_code&code=lk_code_unknown&code_verifier=${'v'.repeat(43)}`,
        });
        expect(response.status, response.text).to.equal(400);
        expect((response.body as { error: string }).error).to.equal('invalid_grant');
      });
    });
  }
});
