import { expect } from 'chai';
import { bearer, request, type JsonResponse, type TestServer } from '../support/server.js';
import {
  basic,
  createOwnerAndFixture,
  formText,
  openForm,
  postForm,
  sameOrigin,
  sendJson,
  SETUP_TOKEN,
  startServer,
  STORAGES,
  type Fixture,
} from './text-input-fixture.js';

const NUL = 'a\u0000b';
const HIGH = 'a\ud800b';
const LOW = 'a\udc00b';

const expectValidations = (response: JsonResponse, fields: string[]): void => {
  expect(response.status, response.text).to.equal(400);
  const body = response.body as { message: unknown; validations: { field: string; detail: string }[] };
  expect(Object.keys(body).sort()).to.deep.equal(['message', 'validations']);
  expect(body.message).to.be.a('string');
  expect(body.validations.map((v) => v.field)).to.deep.equal(fields);
};

const expectOAuthError = (response: JsonResponse, error: string): void => {
  expect(response.status, response.text).to.equal(400);
  expect(Object.keys(response.body as object).sort()).to.deep.equal(['error', 'error_description']);
  expect((response.body as { error: string }).error).to.equal(error);
  expect(response.headers.get('cache-control')).to.equal('no-store');
};

const expectFormPage = (response: JsonResponse, action: string): void => {
  expect(response.status, response.text).to.equal(400);
  expect(response.headers.get('content-type')).to.match(/^text\/html/);
  expect(response.text).to.include(`action="${action}"`);
  expect(response.text).to.include('role="alert"');
};

const expectErrorPage = (response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(400);
  expect(response.headers.get('content-type')).to.match(/^text\/html/);
  expect(response.headers.get('location')).to.equal(null);
};

/** The error parameters a 302 sends back to the client. */
const redirectedError = (response: JsonResponse, redirectUri: string): URLSearchParams => {
  expect(response.status, response.text).to.equal(302);
  const location = response.headers.get('location') ?? '';
  expect(location.startsWith(`${redirectUri}?`), location).to.equal(true);
  return new URL(location).searchParams;
};

for (const storage of STORAGES) {
  describe(`text holding U+0000 or an unpaired surrogate, ${storage.name} storage (docs/http-api.md#request-bodies-and-input-text)`, () => {
    let close: () => Promise<void>;
    let server: TestServer;
    let url: string;

    before(async () => {
      const opened = await storage.open();
      close = opened.close;
      server = await startServer(opened.overrides);
      url = server.url;
    });
    after(async () => {
      await server.stop();
      await close();
    });

    context('before the owner exists', () => {
      it('refuses the first user with a NUL in the email (400 naming it)', async () => {
        const response = await sendJson('POST', `${url}/api/v2/users/first`, {
          email: `${NUL}@example.com`,
          username: 'first',
          password: 'first password',
          setup_token: SETUP_TOKEN,
        });
        expectValidations(response, ['email']);
      });

      it('names every bad field, a lone surrogate in the name among them', async () => {
        const response = await sendJson('POST', `${url}/api/v2/users/first`, {
          email: `${NUL}@example.com`,
          username: 'first',
          password: 'first password',
          name: HIGH,
          setup_token: SETUP_TOKEN,
        });
        expectValidations(response, ['email', 'name']);
      });

      it('refuses a member name holding NUL as the body', async () => {
        const response = await sendJson('POST', `${url}/api/v2/users/first`, {
          email: 'first@example.com',
          username: 'first',
          password: 'first password',
          [NUL]: 'x',
          setup_token: SETUP_TOKEN,
        });
        expectValidations(response, ['body']);
      });

      it('re-renders /setup with an error for a NUL in a field', async () => {
        const form = await openForm(`${url}/setup`);
        const response = await postForm(
          `${url}/setup`,
          formText([
            ['csrf_token', form.csrf],
            ['email', `${NUL}@example.com`],
            ['username', 'first'],
            ['password', 'first password'],
            ['setup_token', SETUP_TOKEN],
          ]),
          { Cookie: form.cookie, ...sameOrigin(url) },
        );
        expectFormPage(response, '/setup');
      });
    });

    context('once the owner exists', () => {
      let f: Fixture;
      before(async () => {
        f = await createOwnerAndFixture(url);
      });

      context('on the users API', () => {
        it('refuses a new user with NUL in the email and a lone surrogate in the password', async () => {
          const response = await sendJson(
            'POST',
            `${url}/api/v2/users`,
            { email: `${NUL}@example.com`, username: 'nul', password: `pass${LOW}word` },
            bearer(f.session),
          );
          expectValidations(response, ['email', 'password']);
        });

        it('refuses a login with NUL in the email', async () => {
          const response = await sendJson('POST', `${url}/api/v2/users/login`, {
            email: `${NUL}@example.com`,
            password: 'whatever password',
          });
          expectValidations(response, ['email']);
        });

        it('refuses an audit log query with NUL in a parameter', async () => {
          const response = await request(`${url}/api/v2/audit-logs?action=a%00b`, {
            headers: bearer(f.session),
          });
          expectValidations(response, ['action']);
        });
      });

      context('on the login page', () => {
        it('re-renders the form with an error for a NUL in the email', async () => {
          const response = await postForm(
            `${url}/login`,
            formText([
              ['csrf_token', f.loginForm.csrf],
              ['email', `${NUL}@example.com`],
              ['password', 'whatever password'],
            ]),
            { Cookie: f.loginForm.cookie, ...sameOrigin(url) },
          );
          expectFormPage(response, '/login');
          expect(response.headers.getSetCookie().join()).to.not.include('latchkey_session=lk_');
        });
      });

      context('on the apps API', () => {
        const apps = () => `${url}/api/v2/oauth2-provider/apps`;

        it('refuses an app with a lone surrogate in a redirect URI and NUL in the icon', async () => {
          const response = await sendJson(
            'POST',
            apps(),
            {
              name: 'bad-text',
              callback_url: 'https://bad.example/cb',
              redirect_uris: ['https://bad.example/cb', `https://bad.example/${HIGH}`],
              icon: `https://bad.example/${NUL}.png`,
            },
            bearer(f.session),
          );
          expectValidations(response, ['redirect_uris', 'icon']);
        });

        it('refuses an update with NUL in the callback URL', async () => {
          const response = await sendJson(
            'PUT',
            `${apps()}/${f.appToUpdate}`,
            { name: 'probe-update', callback_url: `https://update.example/${NUL}` },
            bearer(f.session),
          );
          expectValidations(response, ['callback_url']);
        });

        it('refuses a listing with NUL in user_id', async () => {
          const response = await request(`${apps()}?user_id=%00`, { headers: bearer(f.session) });
          expectValidations(response, ['user_id']);
        });
      });

      context('at dynamic registration', () => {
        const register = (body: Record<string, unknown>) =>
          sendJson('POST', `${url}/oauth2/register`, { redirect_uris: ['https://c.example/cb'], ...body });

        for (const [what, body] of [
          ['NUL in client_name', { client_name: NUL }],
          ['a lone high surrogate in client_name', { client_name: HIGH }],
          ['a lone low surrogate in software_version', { software_version: LOW }],
          ['NUL in a contact', { contacts: ['ops@example.com', NUL] }],
          ['a lone surrogate deep inside jwks', { jwks: { keys: [{ kty: 'RSA', kid: HIGH }] } }],
          ['NUL in a member name of jwks', { jwks: { [NUL]: [] } }],
          ['NUL in an ignored field', { x_vendor: NUL }],
        ] as const) {
          it(`refuses ${what} with invalid_client_metadata`, async () => {
            expectOAuthError(await register(body), 'invalid_client_metadata');
          });
        }

        it('refuses an update with a lone surrogate in client_name', async () => {
          const response = await sendJson(
            'PUT',
            `${url}/oauth2/clients/${f.dcrToUpdate.id}`,
            {
              client_id: f.dcrToUpdate.id,
              redirect_uris: ['https://dcr-update.example/cb'],
              client_name: HIGH,
            },
            bearer(f.dcrToUpdate.token),
          );
          expectOAuthError(response, 'invalid_client_metadata');
        });
      });

      context('at the authorization endpoint', () => {
        const authorize = (params: Record<string, string>, raw: string[] = []) =>
          request(
            `${url}/oauth2/authorize?${formText(
              Object.entries({
                response_type: 'code',
                client_id: f.app.id,
                redirect_uri: f.app.redirectUri,
                code_challenge: f.codeChallenge,
                code_challenge_method: 'S256',
                ...params,
              }),
              raw,
            )}`,
            { headers: { Cookie: `latchkey_session=${f.session}` } },
          );

        it('sends NUL in the state back as invalid_request, without the state', async () => {
          const params = redirectedError(await authorize({}, ['state=x%00y']), f.app.redirectUri);
          expect(params.get('error')).to.equal('invalid_request');
          expect(params.get('state')).to.equal(null);
          expect(params.get('iss')).to.equal(url);
        });

        it('sends NUL in the scope back as invalid_request, with the state', async () => {
          const params = redirectedError(
            await authorize({ state: 'kept' }, ['scope=mcp%00']),
            f.app.redirectUri,
          );
          expect(params.get('error')).to.equal('invalid_request');
          expect(params.get('state')).to.equal('kept');
        });

        for (const name of ['code_challenge', 'resource']) {
          it(`sends NUL in ${name} back as invalid_request`, async () => {
            const params = redirectedError(
              await authorize({ state: 's' }, [`${name}=https%3A%2F%2Fx%00`]),
              f.app.redirectUri,
            );
            expect(params.get('error')).to.equal('invalid_request');
          });
        }

        it('shows the error page for NUL in client_id', async () => {
          const response = await request(
            `${url}/oauth2/authorize?response_type=code&client_id=${f.app.id}%00&redirect_uri=${encodeURIComponent(f.app.redirectUri)}`,
            { headers: { Cookie: `latchkey_session=${f.session}` } },
          );
          expectErrorPage(response);
        });

        it('shows the error page for NUL in redirect_uri', async () => {
          const response = await request(
            `${url}/oauth2/authorize?response_type=code&client_id=${f.app.id}&redirect_uri=${encodeURIComponent(f.app.redirectUri)}%00`,
            { headers: { Cookie: `latchkey_session=${f.session}` } },
          );
          expectErrorPage(response);
        });

        it('reads a percent-encoded lone surrogate as U+FFFD, which is text like any other', async () => {
          const response = await authorize({}, ['state=%ED%A0%80']);
          expect(response.status, response.text).to.equal(200);
        });

        it('shows the error page for NUL in a consent answer', async () => {
          const response = await postForm(
            `${url}/oauth2/authorize`,
            formText([
              ['request_id', f.consent.requestId],
              ['csrf_token', f.consent.csrf],
              ['decision', NUL],
            ]),
            { Cookie: `latchkey_session=${f.session}`, ...sameOrigin(url) },
          );
          expectErrorPage(response);
        });
      });

      context('at the token, revocation and introspection endpoints', () => {
        it('refuses NUL in a token request parameter with invalid_request', async () => {
          const response = await postForm(
            `${url}/oauth2/tokens`,
            formText([
              ['grant_type', 'authorization_code'],
              ['code', NUL],
              ['code_verifier', 'v'.repeat(43)],
            ]),
            basic(f.app.id, f.app.secret),
          );
          expectOAuthError(response, 'invalid_request');
        });

        it('refuses NUL in a client secret sent in the body with invalid_request', async () => {
          const response = await postForm(
            `${url}/oauth2/tokens`,
            formText([
              ['grant_type', 'refresh_token'],
              ['refresh_token', 'r'],
              ['client_id', f.app.id],
              ['client_secret', NUL],
            ]),
          );
          expectOAuthError(response, 'invalid_request');
        });

        for (const endpoint of ['revoke', 'introspect']) {
          it(`refuses NUL in the token at ${endpoint} with invalid_request`, async () => {
            const response = await postForm(
              `${url}/oauth2/${endpoint}`,
              formText([], ['token=lk_at_%00']),
              basic(f.app.id, f.app.secret),
            );
            expectOAuthError(response, 'invalid_request');
          });
        }
      });

      context('when revoking grants to a client', () => {
        it('refuses NUL in client_id with an API error naming it', async () => {
          const response = await request(`${url}/oauth2/tokens?client_id=%00`, {
            method: 'DELETE',
            headers: bearer(f.session),
          });
          expectValidations(response, ['client_id']);
        });
      });

      context('with over-long values', () => {
        it('refuses a 60 KB client_name with invalid_client_metadata', async () => {
          const response = await sendJson('POST', `${url}/oauth2/register`, {
            redirect_uris: ['https://c.example/cb'],
            client_name: 'n'.repeat(60_000),
          });
          expectOAuthError(response, 'invalid_client_metadata');
        });

        it('refuses a 60 KB email with 400 naming it', async () => {
          const response = await sendJson(
            'POST',
            `${url}/api/v2/users`,
            { email: `${'e'.repeat(60_000)}@example.com`, username: 'long', password: 'long password' },
            bearer(f.session),
          );
          expectValidations(response, ['email']);
        });

        it('answers a login with a 60 KB email as a wrong login', async () => {
          const response = await sendJson('POST', `${url}/api/v2/users/login`, {
            email: `${'e'.repeat(60_000)}@example.com`,
            password: 'long password',
          });
          expect(response.status, response.text).to.equal(401);
        });
      });
    });
  });
}
