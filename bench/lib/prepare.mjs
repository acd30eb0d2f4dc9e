// Preparing the state the scenarios need, through each server's real endpoints: the owner and a
// confidential client (Latchkey), codes through the real authorize flow, and tokens from them.
import { randomBytes } from 'node:crypto';
import { URL, URLSearchParams } from 'node:url';
import {
  basicAuth,
  CookieJar,
  makePkce,
  pool,
  postForm,
  postJson,
  request,
  retryingOnNetworkErrors,
} from './http.mjs';
import { OIDC_CLIENT } from './systems.mjs';

export const OWNER = {
  email: 'owner@example.com',
  username: 'owner',
  password: 'correct horse battery',
  name: 'Olive Owner',
};
const REDIRECT_URI = 'https://client.example.com/callback';
/** Workers that mint codes at once. */
const MINT_CONCURRENCY = 16;

const expectStatus = (response, status, what) => {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${response.text.slice(0, 300)}`);
  }
  return response;
};

const codeFromRedirect = (base, location, what) => {
  const target = new URL(location, base);
  const code = target.searchParams.get('code');
  if (code === null) throw new Error(`${what}: no code in ${location}`);
  return code;
};

// ---------------------------------------------------------------------------------------------
// Latchkey

/** `name="value"` of the `<input>`s of an HTML page (the consent page's hidden fields). */
const inputsOf = (html) => {
  const inputs = new Map();
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    const name = /\bname\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    const value = /\bvalue\s*=\s*"([^"]*)"/i.exec(tag)?.[1];
    if (name !== undefined && value !== undefined) inputs.set(name, value.replace(/&amp;/g, '&'));
  }
  return inputs;
};

/**
 * Creates the owner (docs/http-api.md#users-and-sessions), signs in, and creates a confidential app with a secret (#apps).
 * Returns the target the scenarios drive.
 */
/**
 * An authorization code for `clientId`, as a signed-in user gets one: the consent page with the
 * session cookie, then "allow" with its request_id and CSRF token. Returns `{code, verifier}`.
 */
export const consentedCode = async (url, session, clientId, redirectUri, state) => {
  const pkce = makePkce();
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: redirectUri,
    state,
    code_challenge: pkce.challenge,
    code_challenge_method: 'S256',
  });
  const sessionCookie = `latchkey_session=${session}`;
  const page = expectStatus(
    await request(`${url}/oauth2/authorize?${query}`, { headers: { Cookie: sessionCookie } }),
    200,
    'consent page',
  );
  const inputs = inputsOf(page.text);
  const jar = new CookieJar();
  jar.store(page.headers);
  const extra = jar.header();
  const answer = expectStatus(
    await postForm(
      `${url}/oauth2/authorize`,
      { request_id: inputs.get('request_id'), csrf_token: inputs.get('csrf_token'), decision: 'allow' },
      { Cookie: extra === '' ? sessionCookie : `${sessionCookie}; ${extra}` },
    ),
    302,
    'consent',
  );
  return { code: codeFromRedirect(url, answer.headers.location, 'consent'), verifier: pkce.verifier };
};

export const setUpLatchkey = async (system) => {
  const { url } = system;
  expectStatus(await postJson(`${url}/api/v2/users/first`, OWNER), 201, 'first user');
  const login = expectStatus(
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: OWNER.password }),
    201,
    'login',
  );
  const session = login.json.session_token;
  const auth = { Authorization: `Bearer ${session}` };
  const app = expectStatus(
    await postJson(
      `${url}/api/v2/oauth2-provider/apps`,
      { name: 'bench', callback_url: REDIRECT_URI, client_type: 'confidential' },
      auth,
    ),
    201,
    'create app',
  ).json;
  const secret = expectStatus(
    await postJson(`${url}/api/v2/oauth2-provider/apps/${app.id}/secrets`, {}, auth),
    201,
    'create secret',
  ).json;
  const client = { id: app.id, secret: secret.client_secret_full, redirectUri: REDIRECT_URI };

  /** GET the consent page with the session cookie, POST allow with its request_id and CSRF token. */
  const mintOne = async () => ({
    ...(await consentedCode(url, session, client.id, client.redirectUri, 'bench')),
    redirectUri: client.redirectUri,
  });

  return {
    kind: 'latchkey',
    name: system.name,
    pid: system.pid,
    url,
    client,
    paths: {
      token: '/oauth2/tokens',
      introspect: '/oauth2/introspect',
      register: '/oauth2/register',
      read: '/api/v2/users/me',
    },
    /** Latchkey grants its default scope (`mcp user:read`); `user:read` covers the read. */
    mint: (count) => pool(count, MINT_CONCURRENCY, () => retryingOnNetworkErrors(mintOne)),
    mintForRead: (count) => pool(count, MINT_CONCURRENCY, () => retryingOnNetworkErrors(mintOne)),
  };
};

// ---------------------------------------------------------------------------------------------
// oidc-provider

/**
 * The target for the oidc-provider process. Codes come from the authorize endpoint followed
 * through its interaction (sign-in once per scripted browser, then one consent per code).
 */
export const setUpOidcProvider = async (system) => {
  const { url } = system;
  const client = OIDC_CLIENT;
  const jars = [];

  const mintOne = async (worker, extra) => {
    jars[worker] ??= new CookieJar();
    const jar = jars[worker];
    const pkce = makePkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: client.redirectUri,
      state: 'bench',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...extra,
    });
    let location = `${url}/auth?${query}`;
    for (let hop = 0; hop < 8; hop += 1) {
      const response = await request(new URL(location, url).toString(), {
        headers: { Cookie: jar.header() },
      });
      jar.store(response.headers);
      if (response.status !== 303 && response.status !== 302) {
        throw new Error(`oidc-provider authorize: ${response.status} ${response.text.slice(0, 300)}`);
      }
      location = response.headers.location;
      if (location.startsWith(client.redirectUri)) {
        return {
          code: codeFromRedirect(url, location, 'oidc-provider authorize'),
          verifier: pkce.verifier,
          redirectUri: client.redirectUri,
        };
      }
    }
    throw new Error('oidc-provider authorize: too many redirects');
  };

  return {
    kind: 'oidc-provider',
    name: system.name,
    pid: system.pid,
    url,
    client,
    paths: { token: '/token', introspect: '/token/introspection', register: '/reg', read: '/me' },
    /**
     * Plain OAuth 2.0 (no `openid`): an access and a refresh token, no ID token, as Latchkey. Some
     * scope must be granted; `offline_access` is the one that needs no resource server, and it
     * must come with `prompt=consent` (OIDC Core §11).
     */
    mint: (count) =>
      pool(count, MINT_CONCURRENCY, (_i, worker) =>
        retryingOnNetworkErrors(() => mintOne(worker, { scope: 'offline_access', prompt: 'consent' })),
      ),
    /** userinfo needs `openid`; the claims of `email profile` make its answer like Latchkey's. */
    mintForRead: (count) =>
      pool(count, MINT_CONCURRENCY, (_i, worker) =>
        retryingOnNetworkErrors(() => mintOne(worker, { scope: 'openid email profile' })),
      ),
  };
};

// ---------------------------------------------------------------------------------------------
// The Koa ceiling

/** A random base64url string of `length` characters. */
const filler = (length) =>
  randomBytes(Math.ceil((length * 3) / 4) + 1)
    .toString('base64url')
    .slice(0, length);

/**
 * The target for the bare Koa app (`bench/koa-ceiling.mjs`), which issues nothing: the scenarios
 * send it the requests they send Latchkey (same method, path, headers, and bodies of the same
 * shape: Latchkey's client credentials, and codes and tokens of the lengths Latchkey's have, taken
 * from one code `latchkey` mints and exchanges here). `answer({status, bytes,
 * refreshTokenLength?})` sets what it answers every request with. It has no codes to run out of,
 * so the code exchange runs for a duration on it (`byDuration`), cycling through its codes.
 */
export const setUpKoaCeiling = async (system, latchkey) => {
  const [code] = await latchkey.mint(1);
  const [sample] = await exchangeAll(latchkey, [code]);
  const fakeCode = () => ({
    code: filler(code.code.length),
    verifier: filler(code.verifier.length),
    redirectUri: code.redirectUri,
  });
  const fakeCodes = async (count) => Array.from({ length: count }, fakeCode);
  return {
    kind: 'ceiling',
    name: system.name,
    pid: system.pid,
    url: system.url,
    client: latchkey.client,
    paths: latchkey.paths,
    byDuration: true,
    mint: fakeCodes,
    mintForRead: fakeCodes,
    exchange: async (codes) =>
      codes.map(() => ({
        access_token: filler(sample.access_token.length),
        refresh_token: filler(sample.refresh_token.length),
      })),
    answer: (answer) => system.ask({ type: 'answer', ...answer }, 'answered'),
  };
};

// ---------------------------------------------------------------------------------------------
// Both

export const tokenRequestBody = (code) =>
  new URLSearchParams({
    grant_type: 'authorization_code',
    code: code.code,
    code_verifier: code.verifier,
    redirect_uri: code.redirectUri,
  }).toString();

export const refreshRequestBody = (refreshToken) =>
  new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString();

/**
 * Exchanges each code (harness side, not measured); returns the token responses. A target that
 * issues nothing (the Koa ceiling) makes up tokens of the real lengths instead.
 */
export const exchangeAll = (target, codes) =>
  target.exchange !== undefined
    ? target.exchange(codes)
    : pool(codes.length, MINT_CONCURRENCY, async (i) => {
        // A retry after a failed connection is safe: a code the server did see fails loudly below.
        const response = await retryingOnNetworkErrors(() =>
          request(`${target.url}${target.paths.token}`, {
            method: 'POST',
            headers: {
              'Content-Type': 'application/x-www-form-urlencoded',
              Authorization: basicAuth(target.client.id, target.client.secret),
            },
            body: tokenRequestBody(codes[i]),
          }),
        );
        expectStatus(response, 200, `${target.name} code exchange`);
        if (typeof response.json.refresh_token !== 'string') {
          throw new Error(`${target.name} issued no refresh token: ${response.text}`);
        }
        return response.json;
      });
