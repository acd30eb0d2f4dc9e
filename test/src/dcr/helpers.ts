import { createHash } from 'node:crypto';
import type { Overrides } from '@latchkey/app';
import { expect } from 'chai';
import { nullsIn } from '../http/admin-api.js';
import {
  decide,
  locationOf,
  makePkce,
  openConsent,
  startOAuthServer,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { bearer, postJson, request, type JsonResponse } from '../support/server.js';

/**
 * A server with an owner signed in. Registration is not rate limited unless `env` says so: the
 * suites register far more clients than the default 30 a minute from one address.
 */
export const startDcrServer = (env: Record<string, string> = {}, overrides: Overrides = {}) =>
  startOAuthServer({ LATCHKEY_RATE_LIMIT_REGISTER: '0', ...env }, overrides);

/** A registration as RFC 7591 §3.2.1 / RFC 7592 §3 put it on the wire. */
export interface WireRegistration {
  client_id: string;
  client_id_issued_at: number;
  client_secret?: string;
  client_secret_expires_at?: number;
  registration_access_token?: string;
  registration_client_uri: string;
  redirect_uris: string[];
  token_endpoint_auth_method: string;
  grant_types: string[];
  response_types: string[];
  scope?: string;
  client_name?: string;
  client_uri?: string;
  logo_uri?: string;
  tos_uri?: string;
  policy_uri?: string;
  jwks_uri?: string;
  jwks?: unknown;
  contacts?: string[];
  software_id?: string;
  software_version?: string;
  application_type?: string;
}

export type Metadata = Record<string, unknown>;

export const REGISTRATION_TOKEN_PATTERN = /^lk_reg_[A-Za-z0-9_-]{43,}$/;
export const CLIENT_SECRET_PATTERN = /^lk_secret_[A-Za-z0-9_-]{43,}$/;

/** The smallest valid body: one https redirect URI, everything else defaulted. */
export const minimalMetadata = (overrides: Metadata = {}): Metadata => ({
  redirect_uris: ['https://client.example.com/callback'],
  ...overrides,
});

/** `POST /oauth2/register` with a JSON body (a string is sent as is). */
export const registerRaw = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  postJson(`${url}/oauth2/register`, body, headers);

/** Registers and insists on 201. */
export const register = async (
  url: string,
  body: Metadata = minimalMetadata(),
): Promise<WireRegistration> => {
  const response = await registerRaw(url, body);
  expect(response.status, response.text).to.equal(201);
  return response.body as WireRegistration;
};

/** A registered client with the credentials only its registration response showed. */
export interface Registered {
  readonly clientId: string;
  readonly token: string;
  readonly secret?: string;
  readonly registration: WireRegistration;
}

export const registered = (registration: WireRegistration): Registered => ({
  clientId: registration.client_id,
  token: registration.registration_access_token ?? '',
  ...(registration.client_secret === undefined ? {} : { secret: registration.client_secret }),
  registration,
});

export const registerClient = async (url: string, body: Metadata = minimalMetadata()): Promise<Registered> =>
  registered(await register(url, body));

export const clientUri = (url: string, clientId: string): string => `${url}/oauth2/clients/${clientId}`;

/** The RFC 7592 client configuration endpoint, with the given `Authorization` header (if any). */
export const configuration = (url: string, clientId: string, authorization: string | undefined) => {
  const auth = (): Record<string, string> =>
    authorization === undefined ? {} : { Authorization: authorization };
  const target = clientUri(url, clientId);
  return {
    get: () => request(target, { headers: auth() }),
    put: (body: unknown, contentType = 'application/json') =>
      request(target, {
        method: 'PUT',
        headers: { ...auth(), 'Content-Type': contentType },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    remove: () => request(target, { method: 'DELETE', headers: auth() }),
  };
};

/** The client configuration endpoint in the hands of the client itself. */
export const manage = (url: string, client: Registered) =>
  configuration(url, client.clientId, `Bearer ${client.token}`);

/** docs/http-api.md#conventions: every `/oauth2/*` answer is not to be cached. */
export const expectNoStore = (response: JsonResponse): void => {
  expect(response.headers.get('cache-control'), 'Cache-Control').to.equal('no-store');
  expect(response.headers.get('pragma'), 'Pragma').to.equal('no-cache');
};

/**
 * An OAuth error body (docs/http-api.md#conventions) with the given status, whatever its code: exactly
 * `{error, error_description}`, no caching. Returns the code.
 */
export const expectOAuthErrorBody = (response: JsonResponse, status: number): string => {
  expect(response.status, response.text).to.equal(status);
  expect(response.headers.get('content-type') ?? '', 'Content-Type').to.include('application/json');
  expect(response.body, response.text).to.be.an('object');
  const body = response.body as Record<string, unknown>;
  expect(Object.keys(body).sort(), response.text).to.deep.equal(['error', 'error_description']);
  expect(body.error, response.text).to.be.a('string').and.not.equal('');
  expect(body.error_description).to.be.a('string').and.not.equal('');
  expectNoStore(response);
  return body.error as string;
};

/** An OAuth error (docs/http-api.md#conventions) with the given status and code. */
export const expectOAuthError = (response: JsonResponse, status: number, error: string): void => {
  expect(expectOAuthErrorBody(response, status), response.text).to.equal(error);
};

/** docs/http-api.md#registration: the one answer for every authentication failure at `/oauth2/clients/{id}`. */
export const expectInvalidRegistrationToken = (response: JsonResponse): void => {
  expect(response.status, response.text).to.equal(401);
  expect(response.headers.get('www-authenticate')).to.equal('Bearer error="invalid_token"');
  expect(response.body).to.deep.equal({
    error: 'invalid_token',
    error_description: 'The registration access token is invalid.',
  });
  expectNoStore(response);
};

/** Asserts a 201 registration and returns it. */
export const expectRegistered = (response: JsonResponse): WireRegistration => {
  expect(response.status, response.text).to.equal(201);
  expect(response.headers.get('content-type') ?? '', 'Content-Type').to.include('application/json');
  expectNoStore(response);
  expect(nullsIn(response.body), response.text).to.deep.equal([]);
  return response.body as WireRegistration;
};

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * Every form a stored hash of `secret` could take (docs/http-api.md#credentials-at-rest: SHA-256 of the part after the
 * kind prefix), and of the whole value for good measure: hex and base64url.
 */
export const digestsOf = (secret: string): string[] => {
  const part = secret.replace(/^lk_[a-z]+_/, '');
  return [part, secret].flatMap((text) => {
    const digest = sha256(text);
    return [digest.toString('hex'), digest.toString('base64url'), digest.toString('base64')];
  });
};

/** Secrets seen so far in a test, to look for in later answers. */
export class SecretsSeen {
  private readonly secrets = new Set<string>();

  add(...values: (string | undefined)[]): this {
    for (const value of values) if (value !== undefined && value !== '') this.secrets.add(value);
    return this;
  }

  /**
   * A response shown after creation: no `null`, no stored hash of any secret seen, no secret
   * itself, and no 64-hex-digit value at all.
   */
  expectNoneIn(response: JsonResponse, what: string): void {
    expect(nullsIn(response.body), `nulls in ${what}: ${response.text}`).to.deep.equal([]);
    const text = response.text.toLowerCase();
    for (const secret of this.secrets) {
      expect(response.text.includes(secret), `${what} shows a secret`).to.equal(false);
      for (const digest of digestsOf(secret))
        expect(text.includes(digest.toLowerCase()), `${what} shows a stored hash`).to.equal(false);
    }
    expect(response.text, `${what} holds a 64-hex digest`).to.not.match(
      /(^|[^0-9a-f])[0-9a-f]{64}([^0-9a-f]|$)/i,
    );
  }
}

/** An audit entry as `GET /api/v2/audit-logs` shows it (docs/http-api.md#audit-log). */
export interface WireAudit {
  id: string;
  time: string;
  action: string;
  resource_type: string;
  resource_id: string;
  actor_id?: string;
  ip: string;
  user_agent: string;
  status: number;
  diff: Record<string, { old?: unknown; new?: unknown }>;
}

/** The owner's view of the audit log for apps (and dynamically registered clients). */
export const appAudit = async (
  h: OAuthHarness,
  query = '',
): Promise<{ response: JsonResponse; entries: WireAudit[] }> => {
  const response = await request(
    `${h.url}/api/v2/audit-logs?resource_type=oauth2_provider_app&limit=500${query}`,
    {
      headers: bearer(h.session),
    },
  );
  expect(response.status, response.text).to.equal(200);
  return { response, entries: (response.body as { audit_logs: WireAudit[] }).audit_logs };
};

/** The keys a registration response always has; the optional ones come on top. */
export const REQUIRED_KEYS = [
  'client_id',
  'client_id_issued_at',
  'grant_types',
  'redirect_uris',
  'registration_client_uri',
  'response_types',
  'token_endpoint_auth_method',
];

/** The headers and form fields a registered client authenticates with, by its registered method. */
export const clientAuthentication = (
  client: Registered,
): { headers: Record<string, string>; form: [string, string][] } => {
  switch (client.registration.token_endpoint_auth_method) {
    case 'client_secret_basic':
      return {
        headers: {
          Authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret ?? ''}`).toString('base64')}`,
        },
        form: [],
      };
    case 'client_secret_post':
      return {
        headers: {},
        form: [
          ['client_id', client.clientId],
          ['client_secret', client.secret ?? ''],
        ],
      };
    default:
      return { headers: {}, form: [['client_id', client.clientId]] };
  }
};

/** `POST /oauth2/tokens` as the client, authenticated by its registered method. */
export const tokenRequest = (url: string, client: Registered, form: [string, string][]) => {
  const auth = clientAuthentication(client);
  return request(`${url}/oauth2/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...auth.headers },
    body: new URLSearchParams([...auth.form, ...form]).toString(),
  });
};

export interface FlowOptions {
  /** The `scope` parameter of the authorization request; omitted when undefined. */
  readonly scope?: string;
  /** The redirect URI to use; the first registered one by default. */
  readonly redirectUri?: string;
}

export interface Tokens {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly scope?: string;
  readonly token_type: string;
  readonly expires_in: number;
}

/**
 * The owner opens the authorize URL, allows on the real consent page, and the client redeems the
 * code with PKCE (S256). Returns the token endpoint's answer.
 */
/** Authorize and consent: the code, its PKCE verifier and redirect URI, before any token request. */
export const consentedCode = async (
  h: OAuthHarness,
  client: Registered,
  options: FlowOptions = {},
): Promise<{ code: string; verifier: string; redirectUri: string }> => {
  const redirectUri = options.redirectUri ?? client.registration.redirect_uris[0] ?? '';
  const pkce = makePkce();
  const params: [string, string][] = [
    ['response_type', 'code'],
    ['client_id', client.clientId],
    ['redirect_uri', redirectUri],
    ['state', 'dcr-state'],
    ['code_challenge', pkce.challenge],
    ['code_challenge_method', 'S256'],
  ];
  if (options.scope !== undefined) params.push(['scope', options.scope]);
  const page = await openConsent(h.url, h.session, params);
  const answer = await decide(h.url, page, 'allow');
  expect(answer.status, answer.text).to.equal(302);
  const code = locationOf(h.url, answer).searchParams.get('code');
  expect(code, answer.headers.get('location') ?? '').to.be.a('string');
  return { code: code ?? '', verifier: pkce.verifier, redirectUri };
};

export const codeFlow = async (
  h: OAuthHarness,
  client: Registered,
  options: FlowOptions = {},
): Promise<JsonResponse> => {
  const { code, verifier, redirectUri } = await consentedCode(h, client, options);
  return tokenRequest(h.url, client, [
    ['grant_type', 'authorization_code'],
    ['code', code],
    ['code_verifier', verifier],
    ['redirect_uri', redirectUri],
  ]);
};

/** Like `codeFlow`, insisting on 200. */
export const obtainTokens = async (
  h: OAuthHarness,
  client: Registered,
  options: FlowOptions = {},
): Promise<Tokens> => {
  const response = await codeFlow(h, client, options);
  expect(response.status, response.text).to.equal(200);
  return response.body as Tokens;
};

/** The granted scope values, sorted. */
export const scopeValues = (scope: string | undefined): string[] =>
  (scope ?? '')
    .split(' ')
    .filter((s) => s !== '')
    .sort();
