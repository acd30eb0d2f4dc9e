import { createHash, randomBytes } from 'node:crypto';
import type { Overrides } from '@latchkey/app';
import { expect } from 'chai';
import { adminApi, expectNoNull, type AdminApi, type AppBody, type WireApp } from '../http/admin-api.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import {
  bearer,
  login,
  MEMBER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type JsonResponse,
  type TestServer,
} from '../support/server.js';

/** A server with an owner signed in, and the admin API in the owner's hands. */
export interface OAuthHarness {
  readonly server: TestServer;
  /** The issuer, which is also where the server listens. */
  readonly url: string;
  /** The owner's session token (what the browser's `latchkey_session` cookie holds). */
  readonly session: string;
  readonly api: AdminApi;
}

export const startOAuthServer = async (
  env: Record<string, string> = {},
  overrides: Overrides = {},
): Promise<OAuthHarness> => {
  const server = await startTestServer(env, overrides);
  try {
    const session = await setUpOwner(server.url);
    return { server, url: server.url, session, api: adminApi(server.url, session) };
  } catch (error) {
    await server.stop();
    throw error;
  }
};

/** Where a suite's servers keep their data. */
export interface StorageUnderTest {
  readonly name: string;
  /**
   * Starts a server with an owner on a fresh, empty store. On PostgreSQL every start empties the
   * shared database, so a test may start a second server only once it is done with the first.
   */
  start(env?: Record<string, string>, overrides?: Overrides): Promise<OAuthHarness>;
}

/**
 * Declares the same suite twice: on the in-memory adapters and on PostgreSQL (one database per
 * suite, emptied for each server), so that both keep the contract.
 */
export const describeOnEachStorage = (title: string, body: (storage: StorageUnderTest) => void): void => {
  describe(`${title}, in-memory storage`, () => {
    body({ name: 'in-memory', start: startOAuthServer });
  });
  describe(`${title}, PostgreSQL storage`, () => {
    let pg: PostgresHarness | undefined;
    before(async () => {
      pg = await withPostgres();
    });
    after(() => pg?.cleanup());
    body({
      name: 'PostgreSQL',
      start: async (env = {}, overrides = {}) => {
        if (pg === undefined) throw new Error('the PostgreSQL harness did not start');
        await pg.truncate();
        // The harness owns the database; the server must not close it when it stops.
        return startOAuthServer(env, {
          ...overrides,
          storage: { ...pg.storage, close: () => Promise.resolve() },
        });
      },
    });
  });
};

/** Creates the member user (once per server) and returns a session token for it. */
export const addMember = async (h: OAuthHarness): Promise<string> => {
  const created = await postJson(`${h.url}/api/v2/users`, MEMBER, bearer(h.session));
  expect(created.status, created.text).to.equal(201);
  return login(h.url, MEMBER.email, MEMBER.password);
};

/** The id of the user a session or access token belongs to. */
export const userIdOf = async (url: string, token: string): Promise<string> => {
  const me = await request(`${url}/api/v2/users/me`, { headers: bearer(token) });
  expect(me.status, me.text).to.equal(200);
  return (me.body as { id: string }).id;
};

export const sessionCookie = (sessionToken: string): string => `latchkey_session=${sessionToken}`;

// ---------------------------------------------------------------------------------------------
// Clients

export type ClientType = 'confidential' | 'public';

/** How a client authenticates at the token, revocation and introspection endpoints. */
export type ClientAuthMethod = 'basic' | 'post' | 'none';

export interface OAuthClient {
  readonly id: string;
  readonly type: ClientType;
  /** The current secret of a confidential client. */
  readonly secret?: string;
  readonly secretId?: string;
  /** The redirect URI the helpers send (the app's `callback_url`). */
  readonly redirectUri: string;
  readonly app: WireApp;
}

export interface ClientOptions {
  readonly type?: ClientType;
  readonly name?: string;
  readonly callback_url?: string;
  readonly redirect_uris?: string[];
  readonly scope?: string;
  readonly introspect_any?: boolean;
}

let clientCounter = 0;

/** Creates an owner app (with a secret when confidential) through the admin API. */
export const createClient = async (h: OAuthHarness, options: ClientOptions = {}): Promise<OAuthClient> => {
  clientCounter += 1;
  const type = options.type ?? 'confidential';
  const callbackUrl = options.callback_url ?? `https://client${clientCounter}.example.com/callback`;
  const body: AppBody = {
    name: options.name ?? `client-${clientCounter}`,
    callback_url: callbackUrl,
    client_type: type,
  };
  if (options.redirect_uris !== undefined) body.redirect_uris = options.redirect_uris;
  if (options.scope !== undefined) body.scope = options.scope;
  if (options.introspect_any !== undefined) body.introspect_any = options.introspect_any;
  const app = await h.api.createApp(body);
  if (type === 'public') return { id: app.id, type, redirectUri: callbackUrl, app };
  const secret = await h.api.createSecretOf(app.id);
  return {
    id: app.id,
    type,
    secret: secret.client_secret_full,
    secretId: secret.id,
    redirectUri: callbackUrl,
    app,
  };
};

/** Registers a client through RFC 7591 dynamic registration (docs/http-api.md#registration). */
export const registerClient = async (
  h: OAuthHarness,
  metadata: Record<string, unknown>,
): Promise<OAuthClient> => {
  const response = await postJson(`${h.url}/oauth2/register`, metadata);
  expect(response.status, response.text).to.equal(201);
  const body = response.body as { client_id: string; client_secret?: string; redirect_uris: string[] };
  const app = await h.api.get(body.client_id);
  expect(app.status, app.text).to.equal(200);
  return {
    id: body.client_id,
    type: body.client_secret === undefined ? 'public' : 'confidential',
    ...(body.client_secret === undefined ? {} : { secret: body.client_secret }),
    redirectUri: body.redirect_uris[0] ?? '',
    app: app.body as WireApp,
  };
};

/** The same client, authenticating with another secret. */
export const withSecret = (client: OAuthClient, secret: string): OAuthClient => ({ ...client, secret });

// ---------------------------------------------------------------------------------------------
// PKCE

export interface Pkce {
  readonly verifier: string;
  readonly challenge: string;
}

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** RFC 7636 §4.1–4.2: a 43-character verifier and its S256 challenge. */
export const makePkce = (): Pkce => {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash('sha256').update(verifier).digest()) };
};

// ---------------------------------------------------------------------------------------------
// Authorize

/** Query or form parameters, in order, repeats allowed. */
export type Pairs = [string, string][];

/** Turns a record into pairs, leaving out `undefined` values. */
export const pairs = (record: Record<string, string | undefined>): Pairs =>
  Object.entries(record).flatMap(([key, value]) =>
    value === undefined ? [] : [[key, value] as [string, string]],
  );

/** The parameters of a valid authorization request; `extra` replaces (or with `undefined` drops) some. */
export const authorizeParams = (
  client: OAuthClient,
  pkce: Pkce,
  extra: Record<string, string | undefined> = {},
): Pairs =>
  pairs({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: client.redirectUri,
    state: 'st-123',
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
    ...extra,
  });

export const authorizeUrl = (url: string, params: Pairs): string =>
  `${url}/oauth2/authorize?${new URLSearchParams(params).toString()}`;

/** The `name=value` pairs of every `Set-Cookie`, for sending back. */
const cookiesOf = (headers: Headers): string[] => headers.getSetCookie().map((c) => c.split(';')[0] ?? '');

const decodeEntities = (text: string): string =>
  text
    .replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_m, code: string) => String.fromCharCode(parseInt(code, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** `name` → `value` of every `<input>` of an HTML page. */
export const inputsOf = (html: string): Map<string, string> => {
  const inputs = new Map<string, string>();
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const name = /\bname\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    if (name !== undefined && value !== undefined) inputs.set(name, decodeEntities(value));
  }
  return inputs;
};

export interface ConsentPage {
  readonly response: JsonResponse;
  /** The cookies to send with the POST: the session plus whatever the page set. */
  readonly cookie: string;
  readonly requestId: string | undefined;
  readonly csrf: string | undefined;
}

/** The user (signed in with `session`, or not when `undefined`) opens the authorize URL. */
export const openConsent = async (
  url: string,
  session: string | undefined,
  params: Pairs,
  headers: Record<string, string> = {},
): Promise<ConsentPage> => {
  const sent = session === undefined ? [] : [sessionCookie(session)];
  const cookieHeader: Record<string, string> = sent.length === 0 ? {} : { Cookie: sent.join('; ') };
  const response = await request(authorizeUrl(url, params), { headers: { ...cookieHeader, ...headers } });
  const inputs = inputsOf(response.text);
  const set = cookiesOf(response.headers).filter((c) => !c.startsWith('latchkey_session='));
  return {
    response,
    cookie: [...sent, ...set].join('; '),
    requestId: inputs.get('request_id'),
    csrf: inputs.get('csrf_token'),
  };
};

/** Posts the consent form as the browser would. */
export const postConsent = (url: string, cookie: string, fields: Record<string, string | undefined>) =>
  request(`${url}/oauth2/authorize`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: new URLSearchParams(pairs(fields)).toString(),
  });

/** Answers a consent page with its own request id and CSRF token. */
export const decide = (url: string, page: ConsentPage, decision: 'allow' | 'deny') => {
  expect(page.response.status, page.response.text).to.equal(200);
  expect(page.requestId, 'request_id on the consent page').to.be.a('string');
  expect(page.csrf, 'csrf_token on the consent page').to.be.a('string');
  return postConsent(url, page.cookie, { request_id: page.requestId, csrf_token: page.csrf, decision });
};

/** The `Location` of a redirect, resolved against the issuer. */
export const locationOf = (url: string, response: JsonResponse): URL => {
  const location = response.headers.get('location');
  expect(location, `Location of a ${response.status}: ${response.text}`).to.be.a('string');
  return new URL(location ?? '', url);
};

/** The parameters of a 302 back to the client's redirect URI. */
export const redirectParams = (url: string, response: JsonResponse, redirectUri: string): URLSearchParams => {
  expect(response.status, response.text).to.equal(302);
  const location = locationOf(url, response);
  expect(`${location.origin}${location.pathname}`).to.equal(
    `${new URL(redirectUri).origin}${new URL(redirectUri).pathname}`,
  );
  return location.searchParams;
};

/** Asserts a 302 to `redirectUri` carrying `error`, the given `state` and `iss`, and no code. */
export const expectErrorRedirect = (
  h: OAuthHarness,
  response: JsonResponse,
  redirectUri: string,
  error: string,
  state: string | null = 'st-123',
): URLSearchParams => {
  const params = redirectParams(h.url, response, redirectUri);
  expect(params.get('error'), params.toString()).to.equal(error);
  expect(params.get('error_description')).to.be.a('string');
  expect(params.get('state')).to.equal(state);
  expect(params.get('iss')).to.equal(h.url);
  expect(params.has('code')).to.equal(false);
  return params;
};

/** Asserts the HTML error page of §5 step 1: 400, no redirect. */
export const expectErrorPage = (response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(400);
  expect(response.headers.get('location')).to.equal(null);
  expect(response.headers.get('content-type') ?? '').to.include('text/html');
  expect(response.text).to.not.include('lk_code_');
};

export interface Code {
  readonly code: string;
  readonly pkce: Pkce;
  readonly redirectUri: string;
  /** Every parameter of the redirect back to the client. */
  readonly params: URLSearchParams;
}

export interface CodeOptions {
  /** Authorize parameters to replace or (with `undefined`) drop. */
  readonly params?: Record<string, string | undefined>;
  /** The user's session; the owner's by default. */
  readonly session?: string;
}

/** The user opens the authorize URL, allows, and the client receives a code. */
export const obtainCode = async (
  h: OAuthHarness,
  client: OAuthClient,
  options: CodeOptions = {},
): Promise<Code> => {
  const pkce = makePkce();
  const redirectUri = options.params?.redirect_uri ?? client.redirectUri;
  const page = await openConsent(
    h.url,
    options.session ?? h.session,
    authorizeParams(client, pkce, options.params ?? {}),
  );
  const answer = await decide(h.url, page, 'allow');
  const params = redirectParams(h.url, answer, redirectUri);
  const code = params.get('code');
  expect(code, params.toString()).to.be.a('string');
  return { code: code ?? '', pkce, redirectUri, params };
};

// ---------------------------------------------------------------------------------------------
// Token, revocation and introspection endpoints

const formHeaders = { 'Content-Type': 'application/x-www-form-urlencoded' };

export const basicAuth = (id: string, secret: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
});

/** The headers and form fields that authenticate `client` with `method`. */
export const clientCredentials = (
  client: OAuthClient,
  method: ClientAuthMethod = client.type === 'public' ? 'none' : 'basic',
): { headers: Record<string, string>; form: Pairs } => {
  switch (method) {
    case 'basic':
      return { headers: basicAuth(client.id, client.secret ?? ''), form: [] };
    case 'post':
      return {
        headers: {},
        form: [
          ['client_id', client.id],
          ['client_secret', client.secret ?? ''],
        ],
      };
    case 'none':
      return { headers: {}, form: [['client_id', client.id]] };
  }
};

/** POSTs a form to an `/oauth2/*` endpoint exactly as given. */
export const postForm = (
  url: string,
  path: string,
  form: Pairs,
  headers: Record<string, string> = {},
): Promise<JsonResponse> =>
  request(`${url}${path}`, {
    method: 'POST',
    headers: { ...formHeaders, ...headers },
    body: new URLSearchParams(form).toString(),
  });

/** POSTs `form` to an endpoint as `client` (authenticated with its default method unless told). */
export const asClient = async (
  url: string,
  path: string,
  client: OAuthClient,
  form: Pairs,
  method?: ClientAuthMethod,
): Promise<JsonResponse> => {
  const credentials = clientCredentials(client, method);
  const response = await postForm(url, path, [...credentials.form, ...form], credentials.headers);
  expectNoNull(response, `POST ${path}`);
  return response;
};

export const tokenRequest = (url: string, client: OAuthClient, form: Pairs, method?: ClientAuthMethod) =>
  asClient(url, '/oauth2/tokens', client, form, method);

/** The form of a code exchange; `extra` replaces (or with `undefined` drops) fields. */
export const codeForm = (code: Code, extra: Record<string, string | undefined> = {}): Pairs =>
  pairs({
    grant_type: 'authorization_code',
    code: code.code,
    code_verifier: code.pkce.verifier,
    redirect_uri: code.redirectUri,
    ...extra,
  });

export const exchange = (
  url: string,
  client: OAuthClient,
  code: Code,
  extra: Record<string, string | undefined> = {},
  method?: ClientAuthMethod,
) => tokenRequest(url, client, codeForm(code, extra), method);

export const refresh = (
  url: string,
  client: OAuthClient,
  refreshToken: string,
  extra: Record<string, string | undefined> = {},
  method?: ClientAuthMethod,
) =>
  tokenRequest(
    url,
    client,
    pairs({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }),
    method,
  );

export interface TokenSet {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly refresh_token: string;
  readonly scope: string;
}

/** Asserts a 200 token response and returns its body. */
export const expectTokens = (response: JsonResponse): TokenSet => {
  expect(response.status, response.text).to.equal(200);
  expect(response.headers.get('cache-control')).to.equal('no-store');
  const body = response.body as Record<string, unknown>;
  const keys = Object.keys(body).sort();
  expect(keys).to.satisfy(
    (k: string[]) =>
      [
        'access_token,expires_in,refresh_token,scope,token_type',
        'access_token,expires_in,scope,token_type',
      ].includes(k.join(',')),
    `token response fields: ${keys.join(', ')}`,
  );
  expect(body.access_token)
    .to.be.a('string')
    .and.match(/^lk_at_[A-Za-z0-9_-]{43,}$/);
  expect(body.token_type).to.equal('Bearer');
  expect(body.expires_in).to.be.a('number').and.be.greaterThan(0);
  expect(body.scope).to.be.a('string').and.not.equal('');
  if (body.refresh_token !== undefined) expect(body.refresh_token).to.match(/^lk_rt_[A-Za-z0-9_-]{43,}$/);
  return body as unknown as TokenSet;
};

/** Authorize, allow, exchange: the tokens of a fresh grant. */
export const obtainTokens = async (
  h: OAuthHarness,
  client: OAuthClient,
  options: CodeOptions = {},
): Promise<TokenSet> => {
  const code = await obtainCode(h, client, options);
  const extra: Record<string, string | undefined> = {};
  if (options.params?.resource !== undefined) extra.resource = options.params.resource;
  return expectTokens(await exchange(h.url, client, code, extra));
};

export const revoke = (url: string, client: OAuthClient, token: string, method?: ClientAuthMethod) =>
  asClient(url, '/oauth2/revoke', client, [['token', token]], method);

export const introspect = (url: string, client: OAuthClient, token: string, method?: ClientAuthMethod) =>
  asClient(url, '/oauth2/introspect', client, [['token', token]], method);

/** Asserts an OAuth error response (docs/http-api.md#conventions) with `Cache-Control: no-store`. */
export const expectOAuthError = (response: JsonResponse, status: number, error: string): void => {
  expect(response.status, response.text).to.equal(status);
  expect(response.body, response.text).to.be.an('object');
  const body = response.body as Record<string, unknown>;
  expect(body.error, response.text).to.equal(error);
  expect(body.error_description).to.be.a('string');
  expect(Object.keys(body).sort()).to.deep.equal(['error', 'error_description']);
  expect(response.headers.get('cache-control')).to.equal('no-store');
};

// ---------------------------------------------------------------------------------------------
// The resource server

/** `GET /api/v2/users/me` with a bearer token. */
export const me = (url: string, token: string) =>
  request(`${url}/api/v2/users/me`, { headers: bearer(token) });

/** The status `GET /api/v2/users/me` answers for a bearer token. */
export const meStatus = async (url: string, token: string): Promise<number> => (await me(url, token)).status;

/** The attributes of a `WWW-Authenticate` challenge (`Bearer a="b", c="d"`). */
export const challengeOf = (header: string | null): { scheme: string; params: Record<string, string> } => {
  const text = header ?? '';
  const scheme = /^\s*(\S+)/.exec(text)?.[1] ?? '';
  const params: Record<string, string> = {};
  for (const match of text.matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[match[1] ?? ''] = match[2] ?? '';
  return { scheme, params };
};

export const MCP_PATH = '/api/experimental/mcp/http';

interface WireAudit {
  action: string;
  resource_type: string;
  resource_id: string;
  actor_id?: string;
  status: number;
  diff: Record<string, unknown>;
}

/** The owner's view of the audit log, for one resource type and action. */
export const auditEntries = async (
  h: OAuthHarness,
  query: string,
): Promise<{ entries: WireAudit[]; count: number; text: string }> => {
  const response = await request(`${h.url}/api/v2/audit-logs${query}`, { headers: bearer(h.session) });
  expect(response.status, response.text).to.equal(200);
  const body = response.body as { audit_logs: WireAudit[]; count: number };
  return { entries: body.audit_logs, count: body.count, text: response.text };
};
