import { expect } from 'chai';
import { expectNoNull } from '../http/admin-api.js';
import { freePort, request, startTestServer, type JsonResponse } from '../support/server.js';
import {
  authorizeParams,
  authorizeUrl,
  createClient,
  makePkce,
  MCP_PATH,
  obtainTokens,
  postForm,
  sessionCookie,
  startOAuthServer,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

const AS_METADATA = '/.well-known/oauth-authorization-server';
const RESOURCE_METADATA = '/.well-known/oauth-protected-resource';
const MCP_RESOURCE_METADATA = `${RESOURCE_METADATA}${MCP_PATH}`;

const getJson = async (url: string): Promise<JsonResponse> => {
  const response = await request(url);
  expect(response.status, response.text).to.equal(200);
  expect(response.headers.get('content-type')).to.include('application/json');
  expectNoNull(response, url);
  return response;
};

describe('authorization server and protected resource metadata (docs/http-api.md#metadata)', () => {
  let h: OAuthHarness;
  before(async () => {
    h = await startOAuthServer({ LATCHKEY_EXTRA_SCOPES: 'calendar:read' });
  });
  after(() => h.server.stop());

  describe('RFC 8414 authorization server metadata', () => {
    let metadata: Record<string, unknown>;
    before(async () => {
      metadata = (await getJson(`${h.url}${AS_METADATA}`)).body as Record<string, unknown>;
    });

    it('has the fields of §9 and nothing beyond RFC 8414’s own defaults', () => {
      const required = [
        'issuer',
        'authorization_endpoint',
        'token_endpoint',
        'registration_endpoint',
        'revocation_endpoint',
        'introspection_endpoint',
        'response_types_supported',
        'grant_types_supported',
        'code_challenge_methods_supported',
        'token_endpoint_auth_methods_supported',
        'revocation_endpoint_auth_methods_supported',
        'introspection_endpoint_auth_methods_supported',
        'scopes_supported',
        'authorization_response_iss_parameter_supported',
        // docs/http-api.md#client-id-metadata-documents: on by default.
        'client_id_metadata_document_supported',
        // docs/openid-connect.md#signing-keys: RFC 8414 §2.
        'jwks_uri',
      ];
      expect(Object.keys(metadata)).to.include.members(required);
      // RFC 8414 §2: response_modes_supported defaults to ["query"]; stating the default is harmless.
      const extra = Object.keys(metadata).filter((key) => !required.includes(key));
      expect(extra.filter((key) => key !== 'response_modes_supported')).to.deep.equal([]);
      if (extra.length > 0) expect(metadata.response_modes_supported).to.deep.equal(['query']);
    });

    it('names the issuer byte for byte as the server is configured', () => {
      expect(metadata.issuer).to.equal(h.url);
    });

    it('builds every endpoint as an absolute URL from the issuer', () => {
      expect(metadata).to.include({
        authorization_endpoint: `${h.url}/oauth2/authorize`,
        token_endpoint: `${h.url}/oauth2/tokens`,
        registration_endpoint: `${h.url}/oauth2/register`,
        revocation_endpoint: `${h.url}/oauth2/revoke`,
        introspection_endpoint: `${h.url}/oauth2/introspect`,
      });
    });

    it('lists the supported response types, grants, PKCE methods and client authentication methods', () => {
      expect(metadata.response_types_supported).to.deep.equal(['code']);
      expect(metadata.grant_types_supported).to.deep.equal([
        'authorization_code',
        'refresh_token',
        'client_credentials',
      ]);
      expect(metadata.code_challenge_methods_supported).to.deep.equal(['S256']);
      const clientMethods = ['client_secret_basic', 'client_secret_post', 'none'];
      expect(metadata.token_endpoint_auth_methods_supported).to.deep.equal(clientMethods);
      expect(metadata.revocation_endpoint_auth_methods_supported).to.deep.equal(clientMethods);
      expect(metadata.introspection_endpoint_auth_methods_supported).to.deep.equal([
        'client_secret_basic',
        'client_secret_post',
      ]);
      expect(metadata.authorization_response_iss_parameter_supported).to.equal(true);
    });

    it('lists the supported scopes, extra scopes included', () => {
      const scopes = metadata.scopes_supported as string[];
      expect(scopes).to.include.members(['mcp', 'user:read', 'calendar:read']);
      const known = ['all', 'mcp', 'user:read', 'openid', 'profile', 'email', 'calendar:read'];
      expect(scopes.every((s) => known.includes(s))).to.equal(true, scopes.join(' '));
      expect(new Set(scopes).size).to.equal(scopes.length);
    });
  });

  describe('RFC 9728 protected resource metadata', () => {
    it('describes the API', async () => {
      const body = (await getJson(`${h.url}${RESOURCE_METADATA}`)).body as Record<string, unknown>;
      expect(body.resource).to.equal(h.url);
      expect(body.authorization_servers).to.deep.equal([h.url]);
      expect(body.bearer_methods_supported).to.deep.equal(['header']);
      expect(body.scopes_supported).to.be.an('array');
    });

    it('describes the MCP endpoint', async () => {
      const body = (await getJson(`${h.url}${MCP_RESOURCE_METADATA}`)).body as Record<string, unknown>;
      expect(body.resource).to.equal(`${h.url}${MCP_PATH}`);
      expect(body.authorization_servers).to.deep.equal([h.url]);
      expect(body.bearer_methods_supported).to.deep.equal(['header']);
      expect(body.scopes_supported).to.deep.equal(['mcp']);
    });

    it('names the issuer of the AS metadata byte for byte as its authorization server', async () => {
      const as = await getJson(`${h.url}${AS_METADATA}`);
      const issuer = (as.body as { issuer: string }).issuer;
      for (const path of [RESOURCE_METADATA, MCP_RESOURCE_METADATA]) {
        const body = (await getJson(`${h.url}${path}`)).body as { authorization_servers: string[] };
        expect(body.authorization_servers).to.deep.equal([issuer]);
      }
    });
  });
});

describe('metadata under other configurations (docs/http-api.md#registration, #metadata, #configuration)', () => {
  it('leaves out registration_endpoint when LATCHKEY_DCR_ENABLED=false', async () => {
    const server = await startTestServer({ LATCHKEY_DCR_ENABLED: 'false' });
    try {
      const body = (await getJson(`${server.url}${AS_METADATA}`)).body as Record<string, unknown>;
      expect(body).to.not.have.property('registration_endpoint');
      expect(body.token_endpoint).to.equal(`${server.url}/oauth2/tokens`);
    } finally {
      await server.stop();
    }
  });

  it('drops a trailing slash of LATCHKEY_PUBLIC_URL from the issuer', async () => {
    const port = await freePort();
    const server = await startTestServer({
      LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}/`,
    });
    try {
      const issuer = `http://127.0.0.1:${port}`;
      const as = (await getJson(`${issuer}${AS_METADATA}`)).body as Record<string, unknown>;
      expect(as.issuer).to.equal(issuer);
      expect(as.authorization_endpoint).to.equal(`${issuer}/oauth2/authorize`);
      const resource = (await getJson(`${issuer}${RESOURCE_METADATA}`)).body as Record<string, unknown>;
      expect(resource.resource).to.equal(issuer);
      expect(resource.authorization_servers).to.deep.equal([issuer]);
    } finally {
      await server.stop();
    }
  });
});

describe('CORS (docs/http-api.md#metadata)', () => {
  const ORIGIN = 'https://client.example.com';
  let h: OAuthHarness;
  let client: OAuthClient;
  before(async () => {
    h = await startOAuthServer();
    client = await createClient(h);
  });
  after(() => h.server.stop());

  const expectCors = (response: JsonResponse, what: string) => {
    expect(response.headers.get('access-control-allow-origin'), what).to.equal('*');
    expect(response.headers.get('access-control-allow-credentials'), what).to.equal(null);
  };
  const expectExposesChallenge = (response: JsonResponse) => {
    const exposed = (response.headers.get('access-control-expose-headers') ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase());
    expect(exposed).to.include('www-authenticate');
  };
  const expectNoCors = (response: JsonResponse, what: string) => {
    for (const header of [
      'access-control-allow-origin',
      'access-control-allow-credentials',
      'access-control-allow-methods',
      'access-control-expose-headers',
    ])
      expect(response.headers.get(header), `${header} on ${what}`).to.equal(null);
  };

  for (const path of [AS_METADATA, RESOURCE_METADATA, MCP_RESOURCE_METADATA]) {
    it(`answers GET ${path} from any origin`, async () => {
      const response = await request(`${h.url}${path}`, { headers: { Origin: ORIGIN } });
      expect(response.status).to.equal(200);
      expectCors(response, path);
      expectExposesChallenge(response);
    });
  }

  it('answers a 400 of the token endpoint with CORS headers', async () => {
    const response = await postForm(h.url, '/oauth2/tokens', [['client_id', client.id]], { Origin: ORIGIN });
    expect(response.status).to.be.within(400, 401);
    expectCors(response, 'token 4xx');
  });

  it('answers a 401 of the token endpoint with CORS headers exposing WWW-Authenticate', async () => {
    const response = await postForm(
      h.url,
      '/oauth2/tokens',
      [
        ['grant_type', 'refresh_token'],
        ['refresh_token', 'x'],
      ],
      { Origin: ORIGIN, Authorization: `Basic ${Buffer.from(`${client.id}:wrong`).toString('base64')}` },
    );
    expect(response.status).to.equal(401);
    expectCors(response, 'token 401');
    expectExposesChallenge(response);
  });

  it('answers the revocation endpoint with CORS headers', async () => {
    const tokens = await obtainTokens(h, client);
    const ok = await postForm(h.url, '/oauth2/revoke', [['token', tokens.access_token]], {
      Origin: ORIGIN,
      Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret ?? ''}`).toString('base64')}`,
    });
    expect(ok.status, ok.text).to.equal(200);
    expectCors(ok, 'revoke 200');
    const bad = await postForm(h.url, '/oauth2/revoke', [['token', 'x']], { Origin: ORIGIN });
    expect(bad.status).to.equal(401);
    expectCors(bad, 'revoke 401');
  });

  for (const path of ['/oauth2/tokens', '/oauth2/revoke', AS_METADATA]) {
    it(`allows a preflight to ${path} for GET, POST and the MCP headers, without credentials`, async () => {
      const response = await request(`${h.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers':
            'authorization, content-type, mcp-protocol-version, mcp-session-id',
        },
      });
      expect(response.status).to.be.oneOf([200, 204]);
      expectCors(response, `preflight ${path}`);
      const methods = (response.headers.get('access-control-allow-methods') ?? '')
        .split(',')
        .map((m) => m.trim().toUpperCase());
      expect(methods).to.include.members(['GET', 'POST', 'OPTIONS']);
      expect(methods).to.not.include('DELETE');
      const allowed = (response.headers.get('access-control-allow-headers') ?? '')
        .split(',')
        .map((m) => m.trim().toLowerCase());
      expect(allowed).to.include.members([
        'authorization',
        'content-type',
        'mcp-protocol-version',
        'mcp-session-id',
      ]);
    });
  }

  it('sends no CORS headers on /oauth2/authorize', async () => {
    const target = authorizeUrl(h.url, authorizeParams(client, makePkce()));
    const response = await request(target, { headers: { Origin: ORIGIN, Cookie: sessionCookie(h.session) } });
    expect(response.status).to.equal(200);
    expectNoCors(response, 'GET /oauth2/authorize');
  });

  it('sends no CORS headers on /oauth2/introspect', async () => {
    const response = await postForm(h.url, '/oauth2/introspect', [['token', 'x']], {
      Origin: ORIGIN,
      Authorization: `Basic ${Buffer.from(`${client.id}:${client.secret ?? ''}`).toString('base64')}`,
    });
    expect(response.status, response.text).to.equal(200);
    expectNoCors(response, 'POST /oauth2/introspect');
    const preflight = await request(`${h.url}/oauth2/introspect`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
    });
    expectNoCors(preflight, 'OPTIONS /oauth2/introspect');
  });

  it('sends no CORS headers on DELETE /oauth2/tokens', async () => {
    const response = await request(`${h.url}/oauth2/tokens?client_id=${client.id}`, {
      method: 'DELETE',
      headers: { Origin: ORIGIN, Authorization: `Bearer ${h.session}` },
    });
    expect(response.status, response.text).to.equal(204);
    expectNoCors(response, 'DELETE /oauth2/tokens');
  });

  it('sends no CORS headers on /api/v2/users/me or /login', async () => {
    const me = await request(`${h.url}/api/v2/users/me`, {
      headers: { Origin: ORIGIN, Authorization: `Bearer ${h.session}` },
    });
    expect(me.status).to.equal(200);
    expectNoCors(me, 'GET /api/v2/users/me');
    const unauthenticated = await request(`${h.url}/api/v2/users/me`, { headers: { Origin: ORIGIN } });
    expectNoCors(unauthenticated, 'GET /api/v2/users/me 401');
    const login = await request(`${h.url}/login`, { headers: { Origin: ORIGIN } });
    expect(login.status).to.equal(200);
    expectNoCors(login, 'GET /login');
  });
});

describe('Cache-Control on every /oauth2/* answer (docs/http-api.md#conventions)', () => {
  let h: OAuthHarness;
  let client: OAuthClient;
  before(async () => {
    h = await startOAuthServer();
    client = await createClient(h);
  });
  after(() => h.server.stop());

  const cases: [string, () => Promise<JsonResponse>][] = [
    [
      'GET /oauth2/authorize (consent page)',
      () =>
        request(authorizeUrl(h.url, authorizeParams(client, makePkce())), {
          headers: { Cookie: sessionCookie(h.session) },
        }),
    ],
    ['GET /oauth2/authorize (error page)', () => request(`${h.url}/oauth2/authorize`)],
    [
      'GET /oauth2/authorize (not signed in)',
      () => request(authorizeUrl(h.url, authorizeParams(client, makePkce()))),
    ],
    [
      'GET /oauth2/authorize (error redirect)',
      () =>
        request(authorizeUrl(h.url, authorizeParams(client, makePkce(), { code_challenge: undefined })), {
          headers: { Cookie: sessionCookie(h.session) },
        }),
    ],
    ['POST /oauth2/tokens', () => postForm(h.url, '/oauth2/tokens', [])],
    ['POST /oauth2/revoke', () => postForm(h.url, '/oauth2/revoke', [])],
    ['POST /oauth2/introspect', () => postForm(h.url, '/oauth2/introspect', [])],
    [
      'DELETE /oauth2/tokens (204)',
      () =>
        request(`${h.url}/oauth2/tokens?client_id=${client.id}`, {
          method: 'DELETE',
          headers: { Authorization: `Bearer ${h.session}` },
        }),
    ],
    [
      'DELETE /oauth2/tokens (401)',
      () => request(`${h.url}/oauth2/tokens?client_id=${client.id}`, { method: 'DELETE' }),
    ],
  ];
  for (const [what, send] of cases) {
    it(`sets Cache-Control: no-store and Pragma: no-cache on ${what}`, async () => {
      const response = await send();
      expect(response.headers.get('cache-control'), what).to.equal('no-store');
      expect(response.headers.get('pragma'), what).to.equal('no-cache');
    });
  }
});
