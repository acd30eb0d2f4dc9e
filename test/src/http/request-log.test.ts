import { expect } from 'chai';
import {
  authorizeParams,
  createClient,
  describeOnEachStorage,
  exchange,
  expectOAuthError,
  expectTokens,
  introspect,
  makePkce,
  obtainCode,
  openConsent,
  postForm,
  revoke,
  withSecret,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { postJson, request } from '../support/server.js';

interface RequestLine {
  readonly level: number;
  readonly msg: string;
  readonly method: string;
  readonly path: string;
  readonly route?: string;
  readonly status: number;
  readonly requestId: string;
  readonly clientId?: string;
}

const INFO = 30;
const DEBUG = 20;

/** The request lines written since `from` (an index into the server's log). */
const requestLines = (h: OAuthHarness, from = 0): RequestLine[] =>
  h.server.logs
    .slice(from)
    .map((line) => JSON.parse(line) as RequestLine)
    .filter((line) => line.msg === 'request');

/** The one request line of the request `send` makes. */
const lineOf = async (h: OAuthHarness, send: () => Promise<unknown>): Promise<RequestLine> => {
  const from = h.server.logs.length;
  await send();
  const lines = requestLines(h, from);
  expect(lines).to.have.length(1);
  return lines[0] as RequestLine;
};

describeOnEachStorage('request log lines (docs/metrics.md#request-logs)', (storage) => {
  let h: OAuthHarness;

  afterEach(() => h.server.stop());

  context('at the default level, info', () => {
    beforeEach(async () => {
      h = await storage.start({ LATCHKEY_RATE_LIMIT_REGISTER: '0' });
    });

    it('names the client of token, introspection and revocation requests, and never its secret', async () => {
      const client = await createClient(h);
      const code = await obtainCode(h, client);
      let tokens: ReturnType<typeof expectTokens> | undefined;
      const exchanged = await lineOf(h, async () => {
        tokens = expectTokens(await exchange(h.url, client, code));
      });
      expect(exchanged).to.include({
        route: '/oauth2/tokens',
        status: 200,
        clientId: client.id,
        level: INFO,
      });
      const accessToken = tokens?.access_token ?? '';
      const introspected = await lineOf(h, () => introspect(h.url, client, accessToken));
      expect(introspected).to.include({ route: '/oauth2/introspect', status: 200, clientId: client.id });
      const revoked = await lineOf(h, () => revoke(h.url, client, accessToken, 'post'));
      expect(revoked).to.include({ route: '/oauth2/revoke', status: 200, clientId: client.id });

      const log = h.server.logs.join('\n');
      for (const secret of [client.secret ?? '', accessToken, tokens?.refresh_token ?? '', code.code])
        expect(log.includes(secret), 'a secret in the log').to.equal(false);
    });

    it('names the client a refused token request claims to be', async () => {
      const client = await createClient(h);
      const code = await obtainCode(h, client);
      const refused = await lineOf(h, async () => {
        expectOAuthError(await exchange(h.url, withSecret(client, 'wrong'), code), 401, 'invalid_client');
      });
      expect(refused).to.include({ route: '/oauth2/tokens', status: 401, clientId: client.id });
    });

    it('leaves out a client_id that is not a client id, such as a secret sent in its place', async () => {
      const client = await createClient(h);
      const secret = client.secret ?? '';
      const refused = await lineOf(h, () =>
        postForm(h.url, '/oauth2/tokens', [
          ['grant_type', 'refresh_token'],
          ['refresh_token', 'lk_rt_unknown'],
          ['client_id', secret],
        ]),
      );
      expect(refused).to.include({ route: '/oauth2/tokens', status: 401 });
      expect(refused).to.not.have.property('clientId');
      expect(h.server.logs.join('\n').includes(secret)).to.equal(false);
    });

    it('names the client of a consent page and of a registration', async () => {
      const client = await createClient(h);
      const consent = await lineOf(h, () =>
        openConsent(h.url, h.session, authorizeParams(client, makePkce())),
      );
      expect(consent).to.include({
        route: '/oauth2/authorize',
        method: 'GET',
        status: 200,
        clientId: client.id,
      });

      let registeredId = '';
      const registration = await lineOf(h, async () => {
        const response = await postJson(`${h.url}/oauth2/register`, {
          redirect_uris: ['https://a.example.com/cb'],
        });
        expect(response.status).to.equal(201);
        registeredId = (response.body as { client_id: string }).client_id;
      });
      expect(registration).to.include({ route: '/oauth2/register', status: 201, clientId: registeredId });
      const management = await lineOf(h, () => request(`${h.url}/oauth2/clients/${registeredId}`));
      expect(management).to.include({
        route: '/oauth2/clients/:client_id',
        status: 401,
        clientId: registeredId,
      });
    });

    it('writes no line for the health probes, and one for every other request', async () => {
      const from = h.server.logs.length;
      expect((await request(`${h.url}/healthz`)).status).to.equal(200);
      expect((await request(`${h.url}/readyz`)).status).to.equal(200);
      expect((await request(`${h.url}/.well-known/oauth-authorization-server`)).status).to.equal(200);
      expect(requestLines(h, from).map((l) => l.path)).to.deep.equal([
        '/.well-known/oauth-authorization-server',
      ]);
    });
  });

  context('at debug level', () => {
    beforeEach(async () => {
      h = await storage.start({ LATCHKEY_LOG_LEVEL: 'debug' });
    });

    it('logs the health probes at debug', async () => {
      for (const path of ['/healthz', '/readyz']) {
        const line = await lineOf(h, () => request(`${h.url}${path}`));
        expect(line).to.include({ route: path, status: 200, level: DEBUG });
        expect(line).to.not.have.property('clientId');
      }
      const other = await lineOf(h, () => request(`${h.url}/.well-known/oauth-authorization-server`));
      expect(other.level).to.equal(INFO);
    });
  });
});
