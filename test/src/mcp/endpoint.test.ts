import { randomBytes } from 'node:crypto';
import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { expectNoNull } from '../http/admin-api.js';
import {
  challengeOf,
  createClient,
  obtainTokens,
  revoke,
  sessionCookie,
  startOAuthServer,
  type OAuthClient,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { bearer, postJson, request, type JsonResponse, describeOnBothStorages } from '../support/server.js';
import {
  INITIALIZED_NOTIFICATION,
  initializeRequest,
  MCP_ACCEPT,
  MCP_PATH,
  mcpPost,
  mcpResourceMetadataUrl,
  mcpUrl,
  rawRequest,
  toolsListRequest,
} from './helpers.js';

/** Asserts the credential-less 401 of docs/http-api.md#bearer-tokens, #mcp: realm, resource_metadata and scope only. */
const expectUnauthenticated = (h: OAuthHarness, response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(401);
  const challenge = challengeOf(response.headers.get('www-authenticate'));
  expect(challenge.scheme).to.equal('Bearer');
  expect(challenge.params).to.deep.equal({
    realm: 'latchkey',
    resource_metadata: mcpResourceMetadataUrl(h.url),
    scope: 'mcp',
  });
  expect(response.body).to.have.property('message').that.is.a('string');
  expectNoNull(response, 'the 401');
};

/** Asserts a 401 `invalid_token` challenge pointing at the MCP resource metadata (docs/http-api.md#bearer-tokens). */
const expectInvalidToken = (h: OAuthHarness, response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(401);
  const header = response.headers.get('www-authenticate') ?? '';
  const challenge = challengeOf(header);
  expect(challenge.scheme).to.equal('Bearer');
  expect(challenge.params).to.include({
    realm: 'latchkey',
    error: 'invalid_token',
    resource_metadata: mcpResourceMetadataUrl(h.url),
  });
  expect(challenge.params.error_description).to.be.a('string').and.not.equal('');
  expect(challenge.params.error_description).to.not.include('=');
  expect(response.body).to.have.property('message').that.is.a('string');
};

/** Asserts a successful `initialize` answer (JSON, not SSE, no session). */
const expectInitialized = (response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(200);
  expect(response.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  expect(response.headers.get('mcp-session-id')).to.equal(null);
  const body = response.body as { jsonrpc: string; id: number; result?: Record<string, unknown> };
  expect(body.jsonrpc).to.equal('2.0');
  expect(body.id).to.equal(1);
  expect(body.result, response.text).to.be.an('object');
};

/** An `initialize` request padded past the 64 KiB body limit (docs/http-api.md#conventions). */
const oversizedInitialize = () => {
  const request = initializeRequest();
  return { ...request, params: { ...request.params, padding: 'x'.repeat(70 * 1024) } };
};

const randomToken = (prefix: string): string => `${prefix}${randomBytes(32).toString('base64url')}`;

describeOnBothStorages('the MCP endpoint over raw HTTP (docs/http-api.md#mcp)', () => {
  let clock: FixedClock;
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    clock = new FixedClock(new Date());
    h = await startOAuthServer({ LATCHKEY_ALLOWED_RESOURCES: 'https://api.example.com' }, { clock });
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const mcpToken = async (params: Record<string, string> = {}): Promise<string> =>
    (await obtainTokens(h, client, { params: { scope: 'mcp', ...params } })).access_token;

  context('without a credential', () => {
    it('answers 401 with exactly realm, resource_metadata of the MCP path variant, and scope="mcp"', async () => {
      expectUnauthenticated(h, await mcpPost(h.url, undefined, initializeRequest()));
    });

    it('points at resource metadata that names the MCP endpoint, the issuer and scope mcp', async () => {
      const response = await mcpPost(h.url, undefined, initializeRequest());
      const metadataUrl =
        challengeOf(response.headers.get('www-authenticate')).params.resource_metadata ?? '';
      const metadata = await request(metadataUrl);
      expect(metadata.status, metadata.text).to.equal(200);
      expect(metadata.body).to.deep.include({
        resource: mcpUrl(h.url),
        authorization_servers: [h.url],
        scopes_supported: ['mcp'],
        bearer_methods_supported: ['header'],
      });
      expectNoNull(metadata, 'the resource metadata');
    });

    it('treats a token in the access_token query parameter as no credential', async () => {
      const token = await mcpToken();
      const response = await postJson(
        `${mcpUrl(h.url)}?access_token=${encodeURIComponent(token)}`,
        initializeRequest(),
        MCP_ACCEPT,
      );
      expectUnauthenticated(h, response);
    });

    it('never counts the session cookie', async () => {
      const response = await mcpPost(h.url, undefined, initializeRequest(), {
        Cookie: sessionCookie(h.session),
      });
      expectUnauthenticated(h, response);
    });
  });

  context('with a token that is not valid here', () => {
    it('answers a malformed Authorization header with 401 invalid_token', async () => {
      const response = await postJson(mcpUrl(h.url), initializeRequest(), {
        ...MCP_ACCEPT,
        Authorization: 'Bearer not a token',
      });
      expectInvalidToken(h, response);
    });

    it('answers an unknown access token with 401 invalid_token', async () => {
      expectInvalidToken(h, await mcpPost(h.url, randomToken('lk_at_'), initializeRequest()));
    });

    it('answers an unknown session token with 401 invalid_token', async () => {
      expectInvalidToken(h, await mcpPost(h.url, randomToken('lk_sess_'), initializeRequest()));
    });

    it('answers an expired access token with 401 invalid_token', async () => {
      const token = await mcpToken();
      expect((await mcpPost(h.url, token, initializeRequest())).status).to.equal(200);
      clock.advance(3601);
      expectInvalidToken(h, await mcpPost(h.url, token, initializeRequest()));
    });

    it('answers a revoked access token with 401 invalid_token', async () => {
      const token = await mcpToken();
      expect((await revoke(h.url, client, token)).status).to.equal(200);
      expectInvalidToken(h, await mcpPost(h.url, token, initializeRequest()));
    });

    it('answers a token bound to another allowed resource with 401 invalid_token', async () => {
      const token = await mcpToken({ resource: 'https://api.example.com' });
      expectInvalidToken(h, await mcpPost(h.url, token, initializeRequest()));
    });

    it('answers an expired session token with 401 invalid_token', async () => {
      clock.advance(86_401);
      expectInvalidToken(h, await mcpPost(h.url, h.session, initializeRequest()));
    });

    it('checks the audience before the scope: a user:read token bound elsewhere gets 401, not 403', async () => {
      const token = (
        await obtainTokens(h, client, { params: { scope: 'user:read', resource: 'https://api.example.com' } })
      ).access_token;
      expectInvalidToken(h, await mcpPost(h.url, token, initializeRequest()));
    });

    it('answers a token without mcp with 403 insufficient_scope scope="mcp"', async () => {
      const token = (await obtainTokens(h, client, { params: { scope: 'user:read' } })).access_token;
      const response = await mcpPost(h.url, token, initializeRequest());
      expect(response.status, response.text).to.equal(403);
      const challenge = challengeOf(response.headers.get('www-authenticate'));
      expect(challenge.scheme).to.equal('Bearer');
      expect(challenge.params).to.deep.include({
        error: 'insufficient_scope',
        scope: 'mcp',
        resource_metadata: mcpResourceMetadataUrl(h.url),
      });
    });
  });

  context('with a valid credential', () => {
    it('accepts an access token with scope mcp granted without resource (bound to the issuer)', async () => {
      expectInitialized(await mcpPost(h.url, await mcpToken(), initializeRequest()));
    });

    it('accepts an access token bound to resource=<issuer>', async () => {
      expectInitialized(await mcpPost(h.url, await mcpToken({ resource: h.url }), initializeRequest()));
    });

    it('accepts an access token bound to the MCP endpoint', async () => {
      expectInitialized(
        await mcpPost(h.url, await mcpToken({ resource: mcpUrl(h.url) }), initializeRequest()),
      );
    });

    it('accepts the Bearer scheme in any case', async () => {
      const response = await postJson(mcpUrl(h.url), initializeRequest(), {
        ...MCP_ACCEPT,
        Authorization: `bEaReR ${await mcpToken()}`,
      });
      expectInitialized(response);
    });

    it('ignores a session cookie beside the header, since cookies are no credential here', async () => {
      const response = await mcpPost(h.url, await mcpToken(), initializeRequest(), {
        Cookie: sessionCookie(h.session),
      });
      expectInitialized(response);
    });

    it('accepts a session token (scope all)', async () => {
      expectInitialized(await mcpPost(h.url, h.session, initializeRequest()));
    });

    it('accepts an access token with scope all', async () => {
      const token = (await obtainTokens(h, client, { params: { scope: 'all' } })).access_token;
      expectInitialized(await mcpPost(h.url, token, initializeRequest()));
    });

    it('names itself latchkey and offers tools on initialize', async () => {
      const response = await mcpPost(h.url, await mcpToken(), initializeRequest());
      expectInitialized(response);
      const result = (response.body as { result: Record<string, unknown> }).result;
      expect(result.serverInfo).to.have.property('name', 'latchkey');
      expect(result.capabilities).to.have.property('tools').that.is.an('object');
      expect(result.protocolVersion).to.be.a('string');
    });

    it('answers tools/list without a prior initialize, since it keeps no session', async () => {
      const response = await mcpPost(h.url, await mcpToken(), toolsListRequest());
      expect(response.status, response.text).to.equal(200);
      expect(response.headers.get('mcp-session-id')).to.equal(null);
      const body = response.body as { result: { tools: { name: string }[] } };
      expect(body.result.tools.map((t) => t.name)).to.include('latchkey_get_authenticated_user');
    });

    it('answers a notification with 202 and no session', async () => {
      const response = await mcpPost(h.url, await mcpToken(), INITIALIZED_NOTIFICATION);
      expect(response.status, response.text).to.equal(202);
      expect(response.headers.get('mcp-session-id')).to.equal(null);
    });

    it('accepts Content-Type application/json with a charset parameter', async () => {
      const response = await mcpPost(h.url, await mcpToken(), initializeRequest(), {
        'Content-Type': 'application/json; charset=utf-8',
      });
      expectInitialized(response);
    });

    it('answers malformed JSON with 400', async () => {
      const response = await mcpPost(h.url, await mcpToken(), '{"jsonrpc": "2.0", "id": 1,');
      expect(response.status, response.text).to.equal(400);
    });

    it('answers a body over 64 KiB with 413 when it declares its length', async () => {
      const response = await mcpPost(h.url, await mcpToken(), oversizedInitialize());
      expect(response.status, response.text).to.equal(413);
    });

    it('answers a chunked body over 64 KiB with 413', async () => {
      const response = await rawRequest(mcpUrl(h.url), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...MCP_ACCEPT, ...bearer(await mcpToken()) },
        body: JSON.stringify(oversizedInitialize()),
        chunked: true,
      });
      expect(response.status, response.text.slice(0, 200)).to.equal(413);
    });

    it('answers a text/plain body with 415', async () => {
      const response = await mcpPost(h.url, await mcpToken(), JSON.stringify(initializeRequest()), {
        'Content-Type': 'text/plain',
      });
      expect(response.status, response.text).to.equal(415);
    });
  });

  context('in the logs', () => {
    it('never writes the bearer token or a token sent in the query', async () => {
      const headerToken = await mcpToken();
      const queryToken = await mcpToken();
      await mcpPost(h.url, headerToken, initializeRequest());
      await postJson(`${mcpUrl(h.url)}?access_token=${queryToken}`, initializeRequest(), MCP_ACCEPT);
      await mcpPost(h.url, randomToken('lk_at_'), initializeRequest());
      const logs = h.server.logs.join('\n');
      expect(logs).to.include(MCP_PATH);
      expect(logs).to.not.include(headerToken);
      expect(logs).to.not.include(queryToken);
    });
  });

  context('for other methods', () => {
    for (const method of ['GET', 'DELETE']) {
      it(`answers ${method} with 405 and Allow: POST`, async () => {
        const response = await request(mcpUrl(h.url), {
          method,
          headers: { ...bearer(await mcpToken()), ...MCP_ACCEPT },
        });
        expect(response.status, response.text).to.equal(405);
        expect(response.headers.get('allow')).to.equal('POST');
        expect(response.headers.get('mcp-session-id')).to.equal(null);
      });

      it(`answers ${method} without a token with the 401 challenge that starts discovery`, async () => {
        const response = await request(mcpUrl(h.url), { method, headers: MCP_ACCEPT });
        expect(response.status, response.text).to.equal(401);
        const challenge = response.headers.get('www-authenticate') ?? '';
        expect(challenge).to.match(/^Bearer /);
        expect(challenge).to.include(`resource_metadata="${mcpResourceMetadataUrl(h.url)}"`);
        expect(challenge).to.include('scope="mcp"');
      });
    }
  });

  context('answering malformed tools/list params (docs/http-api.md#mcp)', () => {
    for (const [method, params] of [
      ['tools/list', { cursor: 5 }],
      ['tools/list', { cursor: { page: 2 } }],
    ] as const) {
      it(`answers ${method} with params ${JSON.stringify(params)} with -32602 (invalid params), not -32603`, async () => {
        const response = await mcpPost(h.url, await mcpToken(), { jsonrpc: '2.0', id: 9, method, params });
        expect(response.status, response.text).to.equal(200);
        const answer = response.body as { readonly id: number; readonly error?: { readonly code: number } };
        expect(answer.id).to.equal(9);
        expect(answer.error?.code, JSON.stringify(answer)).to.equal(-32602);
      });
    }
  });

  context('answering tools/call errors as MCP 2025-11-25 says (docs/http-api.md#mcp)', () => {
    const toolsCall = (params: unknown) => ({ jsonrpc: '2.0', id: 7, method: 'tools/call', params });

    interface CallAnswer {
      readonly id: number;
      readonly error?: { readonly code: number; readonly message: string };
      readonly result?: { readonly isError?: boolean; readonly content: { readonly text: string }[] };
    }

    /** With an access token of scope `mcp`, or the owner's session token (scope `all`) when `owner`. */
    const answerTo = async (params: unknown, owner = false): Promise<CallAnswer> => {
      const response = await mcpPost(h.url, owner ? h.session : await mcpToken(), toolsCall(params));
      expect(response.status, response.text).to.equal(200);
      const body = response.body as CallAnswer;
      expect(body.id).to.equal(7);
      return body;
    };

    for (const [what, params] of [
      ['arguments that are a string', { name: 'latchkey_get_authenticated_user', arguments: 'x' }],
      ['arguments that are an array', { name: 'latchkey_get_authenticated_user', arguments: [1] }],
      ['no tool name', { arguments: {} }],
      ['a tool name that is a number', { name: 5, arguments: {} }],
      ['no params at all', undefined],
      ['an unknown tool', { name: 'latchkey_launch_rockets', arguments: {} }],
    ] as const) {
      it(`answers a request with ${what} with the protocol error -32602 (invalid params), not -32603`, async () => {
        const answer = await answerTo(params);
        expect(answer.result, JSON.stringify(answer)).to.equal(undefined);
        expect(answer.error?.code, JSON.stringify(answer)).to.equal(-32602);
      });
    }

    for (const [what, params, named] of [
      ['an unknown argument', { name: 'latchkey_get_authenticated_user', arguments: { extra: 1 } }, 'extra'],
      ['a missing required argument', { name: 'latchkey_revoke_app_access', arguments: {} }, 'client_id'],
      [
        'an argument of the wrong type',
        { name: 'latchkey_revoke_app_access', arguments: { client_id: 42 } },
        'client_id',
      ],
      [
        'an argument that is not one of its values',
        { name: 'latchkey_get_audit_log', arguments: { action: 'explode' } },
        'action',
      ],
      ['an argument out of range', { name: 'latchkey_list_oauth2_apps', arguments: { limit: 501 } }, 'limit'],
    ] as const) {
      it(`answers ${what} with a tool result with isError: true that names the argument`, async () => {
        const answer = await answerTo(params, true);
        expect(answer.error, JSON.stringify(answer)).to.equal(undefined);
        expect(answer.result?.isError, JSON.stringify(answer)).to.equal(true);
        expect(answer.result?.content[0]?.text).to.include(named);
      });
    }

    it('does nothing for a call whose arguments do not match: the app stays authorized', async () => {
      const appId = client.id;
      const answer = await answerTo({
        name: 'latchkey_revoke_app_access',
        arguments: { client_id: appId, also: 'this' },
      });
      expect(answer.result?.isError, JSON.stringify(answer)).to.equal(true);
      const listed = await answerTo({ name: 'latchkey_list_authorized_apps', arguments: {} });
      expect(listed.result?.isError ?? false, JSON.stringify(listed)).to.equal(false);
      expect(listed.result?.content[0]?.text).to.include(appId);
    });
  });

  context('against DNS rebinding', () => {
    const post = (host: string, token: string) =>
      rawRequest(mcpUrl(h.url), {
        method: 'POST',
        headers: {
          Host: host,
          'Content-Type': 'application/json',
          ...MCP_ACCEPT,
          ...bearer(token),
        },
        body: JSON.stringify(initializeRequest()),
      });

    const otherHosts = (): string[] => {
      const port = new URL(h.url).port;
      return ['evil.example', `evil.example:${port}`, `localhost:${port}`, '127.0.0.1'];
    };

    it('answers a request whose Host is not the issuer host with 403', async () => {
      const token = await mcpToken();
      for (const host of otherHosts()) {
        const response = await post(host, token);
        expect(response.status, `${host}: ${response.text}`).to.equal(403);
        expect(JSON.parse(response.text), host).to.have.property('message').that.is.a('string');
      }
    });

    it("tells the user which host to use: the issuer's, in the API error format", async () => {
      const token = await mcpToken();
      for (const host of otherHosts()) {
        const response = await post(host, token);
        expect(response.status, `${host}: ${response.text}`).to.equal(403);
        const body = JSON.parse(response.text) as Record<string, unknown>;
        expect(Object.keys(body).sort(), host).to.deep.equal(['detail', 'message']);
        expect(body.detail, host)
          .to.be.a('string')
          .and.include(new URL(h.url).host)
          .and.include(mcpUrl(h.url));
      }
    });

    it('tells the same to a GET without a token, before any challenge', async () => {
      const response = await rawRequest(mcpUrl(h.url), { method: 'GET', headers: { Host: 'evil.example' } });
      expect(response.status, response.text).to.equal(403);
      expect(response.headers['www-authenticate']).to.equal(undefined);
      expect((JSON.parse(response.text) as { detail?: string }).detail).to.include(new URL(h.url).host);
    });

    it('serves the same request when Host names the issuer', async () => {
      const response = await post(new URL(h.url).host, await mcpToken());
      expect(response.status, response.text).to.equal(200);
    });
  });

  context('for browser clients (CORS, docs/http-api.md#metadata)', () => {
    const ORIGIN = 'https://inspector.example';

    const expectOpenCors = (response: JsonResponse): void => {
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(response.headers.get('access-control-allow-credentials')).to.equal(null);
      const exposed = (response.headers.get('access-control-expose-headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase());
      expect(exposed).to.include('www-authenticate');
    };

    it('answers a POST from any origin with Allow-Origin * and WWW-Authenticate exposed', async () => {
      const response = await mcpPost(h.url, await mcpToken(), initializeRequest(), { Origin: ORIGIN });
      expectInitialized(response);
      expectOpenCors(response);
    });

    it('puts the CORS headers on the 401 too', async () => {
      const response = await mcpPost(h.url, undefined, initializeRequest(), { Origin: ORIGIN });
      expectUnauthenticated(h, response);
      expectOpenCors(response);
    });

    it('puts the CORS headers on 403, 405 and 415 answers', async () => {
      const userRead = (await obtainTokens(h, client, { params: { scope: 'user:read' } })).access_token;
      const token = await mcpToken();
      const answers = [
        await mcpPost(h.url, userRead, initializeRequest(), { Origin: ORIGIN }),
        await request(mcpUrl(h.url), { method: 'GET', headers: { ...bearer(token), Origin: ORIGIN } }),
        await mcpPost(h.url, token, 'x', { 'Content-Type': 'text/plain', Origin: ORIGIN }),
      ];
      expect(answers.map((a) => a.status)).to.deep.equal([403, 405, 415]);
      for (const answer of answers) expectOpenCors(answer);
    });

    it('allows GET, POST, DELETE, OPTIONS and the MCP headers in a preflight, without credentials', async () => {
      const response = await request(mcpUrl(h.url), {
        method: 'OPTIONS',
        headers: {
          Origin: ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers':
            'authorization, content-type, mcp-protocol-version, mcp-session-id',
        },
      });
      expect(response.status).to.be.within(200, 204);
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(response.headers.get('access-control-allow-credentials')).to.equal(null);
      const methods = (response.headers.get('access-control-allow-methods') ?? '')
        .split(',')
        .map((m) => m.trim())
        .sort();
      expect(methods).to.deep.equal(['DELETE', 'GET', 'OPTIONS', 'POST']);
      const headers = (response.headers.get('access-control-allow-headers') ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase());
      expect(headers).to.include.members([
        'authorization',
        'content-type',
        'mcp-protocol-version',
        'mcp-session-id',
      ]);
    });
  });
});
