import { createHash, randomBytes } from 'node:crypto';
import type { Overrides } from '@latchkey/app';
import { expect } from 'chai';
import { withPostgres } from '../support/postgres.js';
import {
  bearer,
  cookieFrom,
  login,
  OWNER,
  postJson,
  request,
  startTestServer,
  type JsonResponse,
  type TestServer,
} from '../support/server.js';

/** Creating the first user needs this token, so a probe can never create it by chance. */
export const SETUP_TOKEN = 'text-input-setup-token-0123456789';

/** Where a suite's server keeps its data: each gets its own store. */
export interface StorageTarget {
  readonly name: string;
  open(): Promise<{ readonly overrides: Overrides; readonly close: () => Promise<void> }>;
}

export const STORAGES: readonly StorageTarget[] = [
  {
    name: 'in-memory',
    open: () => Promise.resolve({ overrides: {}, close: () => Promise.resolve() }),
  },
  {
    name: 'PostgreSQL',
    open: async () => {
      const pg = await withPostgres();
      // The harness owns the database; the server must not close it when it stops.
      return {
        overrides: { storage: { ...pg.storage, close: () => Promise.resolve() } },
        close: () => pg.cleanup(),
      };
    },
  },
];

/** Starts a server with no user yet, rate limits off, creating the first user behind `SETUP_TOKEN`. */
export const startServer = (overrides: Overrides): Promise<TestServer> =>
  startTestServer(
    {
      LATCHKEY_SETUP_TOKEN: SETUP_TOKEN,
      LATCHKEY_RATE_LIMIT_REGISTER: '0',
      LATCHKEY_RATE_LIMIT_TOKEN: '0',
    },
    overrides,
  );

const hiddenField = (html: string, name: string): string =>
  new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

/** An HTML form as a browser holds it: the CSRF token of the page and the cookie it came with. */
export interface OpenedForm {
  readonly csrf: string;
  readonly cookie: string;
}

export const openForm = async (url: string): Promise<OpenedForm> => {
  const page = await request(url);
  expect(page.status, page.text).to.equal(200);
  return {
    csrf: hiddenField(page.text, 'csrf_token'),
    cookie: cookieFrom(page.headers, 'latchkey_csrf') ?? '',
  };
};

/** What the probes need once the owner exists. */
export interface Fixture {
  readonly url: string;
  /** The owner's session token. */
  readonly session: string;
  readonly app: { readonly id: string; readonly secret: string; readonly redirectUri: string };
  /** An owner app that probes may update. */
  readonly appToUpdate: string;
  readonly dcr: { readonly id: string; readonly redirectUri: string };
  /** A registered client that probes may update, with its registration access token. */
  readonly dcrToUpdate: { readonly id: string; readonly token: string };
  readonly loginForm: OpenedForm;
  /** The hidden fields of a consent page of `app`. */
  readonly consent: { readonly requestId: string; readonly csrf: string };
  readonly codeChallenge: string;
}

const created = (response: JsonResponse): Record<string, string> => {
  expect(response.status, response.text).to.equal(201);
  return response.body as Record<string, string>;
};

/** Headers of a request a page of the issuer sends: same origin (docs/http-api.md#request-bodies-and-input-text). */
export const sameOrigin = (url: string): Record<string, string> => ({
  Origin: url,
  'Sec-Fetch-Site': 'same-origin',
});

export const createOwnerAndFixture = async (url: string): Promise<Fixture> => {
  created(await postJson(`${url}/api/v2/users/first`, { ...OWNER, setup_token: SETUP_TOKEN }));
  const session = await login(url, OWNER.email, OWNER.password);
  const apps = `${url}/api/v2/oauth2-provider/apps`;
  const redirectUri = 'https://app.example/cb';
  const app = created(await postJson(apps, { name: 'probe', callback_url: redirectUri }, bearer(session)));
  const secret = created(await postJson(`${apps}/${app.id ?? ''}/secrets`, {}, bearer(session)));
  const appToUpdate = created(
    await postJson(
      apps,
      { name: 'probe-update', callback_url: 'https://update.example/cb' },
      bearer(session),
    ),
  );
  const dcrRedirect = 'https://dcr.example/cb';
  const dcr = created(await postJson(`${url}/oauth2/register`, { redirect_uris: [dcrRedirect] }));
  const dcrToUpdate = created(
    await postJson(`${url}/oauth2/register`, { redirect_uris: ['https://dcr-update.example/cb'] }),
  );
  const codeChallenge = createHash('sha256')
    .update(randomBytes(32).toString('base64url'))
    .digest('base64url');
  const consentPage = await request(
    `${url}/oauth2/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: app.id ?? '',
      redirect_uri: redirectUri,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString()}`,
    { headers: { Cookie: `latchkey_session=${session}` } },
  );
  expect(consentPage.status, consentPage.text).to.equal(200);
  return {
    url,
    session,
    app: { id: app.id ?? '', secret: secret.client_secret_full ?? '', redirectUri },
    appToUpdate: appToUpdate.id ?? '',
    dcr: { id: dcr.client_id ?? '', redirectUri: dcrRedirect },
    dcrToUpdate: { id: dcrToUpdate.client_id ?? '', token: dcrToUpdate.registration_access_token ?? '' },
    loginForm: await openForm(`${url}/login`),
    consent: {
      requestId: hiddenField(consentPage.text, 'request_id'),
      csrf: hiddenField(consentPage.text, 'csrf_token'),
    },
    codeChallenge,
  };
};

/** `Authorization: Basic` for a client (RFC 6749 §2.3.1). */
export const basic = (id: string, secret: string): Record<string, string> => ({
  Authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`,
});

/** A form or query string: pairs encoded as `URLSearchParams` does, then `raw` pieces as they are. */
export const formText = (
  pairs: readonly (readonly [string, string])[],
  raw: readonly string[] = [],
): string =>
  [new URLSearchParams(pairs.map(([n, v]): [string, string] => [n, v])).toString(), ...raw]
    .filter((s) => s !== '')
    .join('&');

export const postForm = (
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse> =>
  request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });

export const sendJson = (
  method: string,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> =>
  request(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
