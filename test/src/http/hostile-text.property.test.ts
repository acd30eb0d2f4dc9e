import { expect } from 'chai';
import fc from 'fast-check';
import { bearer, request, type JsonResponse, type TestServer } from '../support/server.js';
import {
  basic,
  createOwnerAndFixture,
  formText,
  openForm,
  postForm,
  sameOrigin,
  sendJson,
  startServer,
  STORAGES,
  type Fixture,
  type OpenedForm,
} from './text-input-fixture.js';

/**
 * Issue 12: NUL, lone surrogates, over-long strings and odd Unicode thrown at every public
 * endpoint, on both storages. Whatever the answer, it is below 500 and shows no internals.
 */

/** A value as a probe sends it: text (encoded as the transport encodes text) or raw wire bytes. */
type Value = { readonly text: string } | { readonly raw: string };

const textOf = (value: Value): string => ('text' in value ? value.text : value.raw);

/** Mostly U+0000 and lone surrogates, the values this suite is about; the rest less often. */
const hostileText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }))
      .map(([a, b]) => `${a}\u0000${b}`),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 12 }),
        fc.integer({ min: 0xd800, max: 0xdfff }),
        fc.string({ maxLength: 12 }),
      )
      .map(([a, unit, b]) => `${a}${String.fromCharCode(unit)}${b}`),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.constantFrom('a', 'é', '\u{1F600}', '%', ' ', '\u0000'),
        fc.integer({ min: 257, max: 70_000 }),
      )
      .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length))),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\u202e',
      '\ufeff',
      '\ufffd',
      '\uffff',
      '\u2028',
      'e\u0301',
      '\u{1F469}\u200d\u{1F469}\u200d\u{1F467}',
      '\u0085',
      'İ',
      '\u{10FFFF}',
      '\x7f',
      '\x1b[31m',
      '\\u0000',
      '%00',
      'null',
      'toString',
      '__proto__',
      '-1',
      '1e999',
    ),
  },
);

/** Percent-encodings a form or query may carry: NUL, encoded surrogates, overlong and broken UTF-8. */
const rawEncoded = fc.constantFrom(
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%ED%B0%80',
  '%C0%80',
  '%',
  '%zz',
  '%E0%A4',
  '%FF',
  '%F4%90%80%80',
  '%EF%BB%BF',
  '+%00+',
);

const hostileValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 4, arbitrary: hostileText.map((text): Value => ({ text })) },
  { weight: 1, arbitrary: rawEncoded.map((raw): Value => ({ raw })) },
);

/** Stands for "a parameter or member name" among a probe's fields. */
const NAME = '<name>';

/** A form or query with `field` set to `value`, the other parameters as in `base`. */
const withParam = (base: Record<string, string>, field: string, value: Value): string => {
  const pairs = Object.entries(base).filter(([name]) => name !== field);
  if ('raw' in value) return formText(pairs, [field === NAME ? `${value.raw}=x` : `${field}=${value.raw}`]);
  return formText([...pairs, field === NAME ? [value.text, 'x'] : [field, value.text]]);
};

/** A JSON body with `field` set to `value`; list fields get it as an element, `jwks` deep inside. */
const withMember = (base: Record<string, unknown>, field: string, value: Value): Record<string, unknown> => {
  const text = textOf(value);
  if (field === NAME) return { ...base, [text]: 'x' };
  if (field === 'redirect_uris')
    return { ...base, redirect_uris: [...((base.redirect_uris as string[] | undefined) ?? []), text] };
  if (['contacts', 'grant_types', 'response_types'].includes(field)) return { ...base, [field]: [text] };
  if (field === 'jwks') return { ...base, jwks: { keys: [{ kty: 'RSA', kid: text }] } };
  return { ...base, [field]: text };
};

/** A path segment: UTF-8 percent-encoded text (a lone surrogate becomes U+FFFD), or raw. */
const pathSegment = (value: Value): string =>
  'raw' in value
    ? value.raw
    : [...Buffer.from(value.text, 'utf8')]
        .map((byte) =>
          /[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte))
            ? String.fromCharCode(byte)
            : `%${byte.toString(16).padStart(2, '0')}`,
        )
        .join('');

interface Endpoint {
  readonly name: string;
  readonly fields: readonly string[];
  send(field: string, value: Value): Promise<JsonResponse>;
}

let sequence = 0;

const REGISTRATION_FIELDS = [
  'client_name',
  'client_uri',
  'logo_uri',
  'tos_uri',
  'policy_uri',
  'jwks_uri',
  'jwks',
  'contacts',
  'software_id',
  'software_version',
  'application_type',
  'scope',
  'grant_types',
  'response_types',
  'token_endpoint_auth_method',
  'redirect_uris',
  NAME,
];

const APP_FIELDS = ['name', 'callback_url', 'icon', 'redirect_uris', 'client_type', 'scope', NAME];

/** Before the owner exists: first-user creation, never with the right setup token. */
const setupEndpoints = (url: string, setupForm: OpenedForm): Endpoint[] => {
  const wrongToken = 'not-the-setup-token-0123456789';
  return [
    {
      name: 'POST /api/v2/users/first',
      fields: ['email', 'username', 'password', 'name', 'setup_token', NAME],
      send: (field, value) =>
        sendJson(
          'POST',
          `${url}/api/v2/users/first`,
          withMember(
            {
              email: 'first@example.com',
              username: 'first',
              password: 'first password',
              setup_token: wrongToken,
            },
            field,
            value,
          ),
        ),
    },
    {
      name: 'POST /setup',
      fields: ['email', 'username', 'password', 'name', 'setup_token', NAME],
      send: (field, value) =>
        postForm(
          `${url}/setup`,
          withParam(
            {
              csrf_token: setupForm.csrf,
              email: 'first@example.com',
              username: 'first',
              password: 'first password',
              setup_token: wrongToken,
            },
            field,
            value,
          ),
          { Cookie: setupForm.cookie, ...sameOrigin(url) },
        ),
    },
  ];
};

/** Once the owner exists: every other public endpoint that reads text. */
const endpoints = (f: Fixture): Endpoint[] => {
  const { url } = f;
  const owner = bearer(f.session);
  const session = { Cookie: `latchkey_session=${f.session}` };
  const apps = `${url}/api/v2/oauth2-provider/apps`;
  const get = (path: string, headers: Record<string, string>) => request(`${url}${path}`, { headers });
  const registration = { redirect_uris: ['https://probe.example/cb'] };
  return [
    {
      name: 'POST /api/v2/users',
      fields: ['email', 'username', 'password', 'name', 'role', NAME],
      send: (field, value) => {
        sequence += 1;
        const base = {
          email: `u${sequence}@example.com`,
          username: `u${sequence}`,
          password: 'probe password',
        };
        return sendJson('POST', `${url}/api/v2/users`, withMember(base, field, value), owner);
      },
    },
    {
      name: 'POST /api/v2/users/login',
      fields: ['email', 'password', NAME],
      send: (field, value) =>
        sendJson(
          'POST',
          `${url}/api/v2/users/login`,
          withMember({ email: 'owner@example.com', password: 'not the password' }, field, value),
        ),
    },
    {
      name: 'GET /api/v2/users',
      fields: ['limit', 'offset', NAME],
      send: (field, value) => get(`/api/v2/users?${withParam({}, field, value)}`, owner),
    },
    {
      name: 'GET /api/v2/audit-logs',
      fields: ['limit', 'offset', 'resource_type', 'action', NAME],
      send: (field, value) => get(`/api/v2/audit-logs?${withParam({}, field, value)}`, owner),
    },
    {
      name: 'POST /api/v2/oauth2-provider/apps',
      fields: APP_FIELDS,
      send: (field, value) =>
        sendJson(
          'POST',
          apps,
          withMember({ name: 'probe-new', callback_url: 'https://new.example/cb' }, field, value),
          owner,
        ),
    },
    {
      name: 'PUT /api/v2/oauth2-provider/apps/{app}',
      fields: APP_FIELDS,
      send: (field, value) =>
        sendJson(
          'PUT',
          `${apps}/${f.appToUpdate}`,
          withMember({ name: 'probe-update', callback_url: 'https://update.example/cb' }, field, value),
          owner,
        ),
    },
    {
      name: 'GET /api/v2/oauth2-provider/apps',
      fields: ['user_id', 'dynamically_registered', 'limit', 'offset', NAME],
      send: (field, value) => get(`/api/v2/oauth2-provider/apps?${withParam({}, field, value)}`, owner),
    },
    {
      name: 'GET /api/v2/oauth2-provider/apps/{app}',
      fields: ['app'],
      send: (_field, value) => get(`/api/v2/oauth2-provider/apps/${pathSegment(value)}`, owner),
    },
    {
      name: 'DELETE /oauth2/tokens',
      fields: ['client_id', NAME],
      send: (field, value) =>
        request(`${url}/oauth2/tokens?${withParam({}, field, value)}`, { method: 'DELETE', headers: owner }),
    },
    {
      name: 'GET /oauth2/authorize',
      fields: [
        'response_type',
        'client_id',
        'redirect_uri',
        'state',
        'scope',
        'code_challenge',
        'code_challenge_method',
        'resource',
        NAME,
      ],
      send: (field, value) => {
        const base = {
          response_type: 'code',
          client_id: f.app.id,
          redirect_uri: f.app.redirectUri,
          state: 'probe',
          code_challenge: f.codeChallenge,
          code_challenge_method: 'S256',
        };
        return get(`/oauth2/authorize?${withParam(base, field, value)}`, session);
      },
    },
    {
      name: 'POST /oauth2/authorize',
      fields: ['request_id', 'csrf_token', 'decision', NAME],
      send: (field, value) =>
        postForm(
          `${url}/oauth2/authorize`,
          withParam(
            { request_id: f.consent.requestId, csrf_token: f.consent.csrf, decision: 'deny' },
            field,
            value,
          ),
          { ...session, ...sameOrigin(url) },
        ),
    },
    {
      name: 'POST /oauth2/tokens',
      fields: [
        'grant_type',
        'code',
        'code_verifier',
        'redirect_uri',
        'refresh_token',
        'scope',
        'resource',
        'client_id',
        'client_secret',
        'basic client_id',
        'basic client_secret',
        NAME,
      ],
      send: (field, value) => {
        const base = {
          grant_type: 'authorization_code',
          code: 'lk_code_probe',
          code_verifier: 'v'.repeat(43),
        };
        if (field === 'basic client_id' || field === 'basic client_secret') {
          const text = textOf(value);
          const id = field === 'basic client_id' ? text : f.app.id;
          const secret = field === 'basic client_secret' ? text : f.app.secret;
          const credentials = Buffer.from(`${id}:${secret}`, 'utf8').toString('base64');
          return postForm(`${url}/oauth2/tokens`, formText(Object.entries(base)), {
            Authorization: `Basic ${credentials}`,
          });
        }
        if (field === 'client_id' || field === 'client_secret') {
          const body = withParam({ ...base, client_id: f.app.id, client_secret: f.app.secret }, field, value);
          return postForm(`${url}/oauth2/tokens`, body);
        }
        return postForm(`${url}/oauth2/tokens`, withParam(base, field, value), basic(f.app.id, f.app.secret));
      },
    },
    {
      name: 'POST /oauth2/revoke',
      fields: ['token', 'token_type_hint', NAME],
      send: (field, value) =>
        postForm(
          `${url}/oauth2/revoke`,
          withParam({ token: 'lk_at_probe' }, field, value),
          basic(f.app.id, f.app.secret),
        ),
    },
    {
      name: 'POST /oauth2/introspect',
      fields: ['token', NAME],
      send: (field, value) =>
        postForm(
          `${url}/oauth2/introspect`,
          withParam({ token: 'lk_at_probe' }, field, value),
          basic(f.app.id, f.app.secret),
        ),
    },
    {
      name: 'POST /oauth2/register',
      fields: REGISTRATION_FIELDS,
      send: (field, value) =>
        sendJson('POST', `${url}/oauth2/register`, withMember(registration, field, value)),
    },
    {
      name: 'PUT /oauth2/clients/{client_id}',
      fields: REGISTRATION_FIELDS,
      send: (field, value) =>
        sendJson(
          'PUT',
          `${url}/oauth2/clients/${f.dcrToUpdate.id}`,
          withMember(
            { client_id: f.dcrToUpdate.id, redirect_uris: ['https://dcr-update.example/cb'] },
            field,
            value,
          ),
          bearer(f.dcrToUpdate.token),
        ),
    },
    {
      name: 'GET /oauth2/clients/{client_id}',
      fields: ['client_id'],
      send: (_field, value) => get(`/oauth2/clients/${pathSegment(value)}`, bearer(f.dcrToUpdate.token)),
    },
    {
      name: 'POST /login',
      fields: ['email', 'password', 'redirect', NAME],
      send: (field, value) =>
        postForm(
          `${url}/login`,
          withParam(
            { csrf_token: f.loginForm.csrf, email: 'owner@example.com', password: 'not the password' },
            field,
            value,
          ),
          { Cookie: f.loginForm.cookie, ...sameOrigin(url) },
        ),
    },
    {
      name: 'GET /login',
      fields: ['redirect'],
      send: (field, value) => get(`/login?${withParam({}, field, value)}`, {}),
    },
  ];
};

/** Stack frames, module paths, SQL, driver and storage error names, password hashes. */
const INTERNALS =
  /node_modules|file:\/\/|\bat (?:async )?[\w$.<>]+ \(|insert into|password_hash|SQLSTATE|DriverException|StorageError|c2NyeXB0/i;

/** Every key a JSON error of either format may have (docs/http-api.md#conventions). */
const ERROR_KEYS = new Set(['message', 'detail', 'validations', 'error', 'error_description']);

const expectSafeAnswer = (endpoint: string, field: string, response: JsonResponse): void => {
  const what = `${endpoint} with a hostile ${field}: ${response.status} ${response.text.slice(0, 200)}`;
  expect(response.status, what).to.be.below(500);
  expect(response.text, what).to.not.match(INTERNALS);
  expect(response.headers.get('location') ?? '', what).to.not.match(INTERNALS);
  if (response.status >= 400 && typeof response.body === 'object' && response.body !== null) {
    const extra = Object.keys(response.body).filter((key) => !ERROR_KEYS.has(key));
    expect(extra, what).to.deep.equal([]);
  }
};

/** Log lines at level error or above (pino: 50), as the server wrote them. */
const errorLines = (server: TestServer): string[] =>
  server.logs.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);

const probe = (targets: readonly Endpoint[]) =>
  fc.constantFrom(...targets).chain((endpoint) =>
    fc.record({
      endpoint: fc.constant(endpoint),
      field: fc.constantFrom(...endpoint.fields),
      value: hostileValue,
    }),
  );

const PROBES_BEFORE_SETUP = 40;
const PROBES = 200;

for (const storage of STORAGES) {
  describe(`hostile text at every public endpoint, ${storage.name} storage (docs/http-api.md#request-bodies-and-input-text)`, function () {
    this.timeout(60_000);
    let close: () => Promise<void>;
    let server: TestServer;

    before(async () => {
      const opened = await storage.open();
      close = opened.close;
      server = await startServer(opened.overrides);
    });
    after(async () => {
      await server.stop();
      await close();
    });

    it('answers first-user creation below 500, with no internals', async () => {
      const targets = setupEndpoints(server.url, await openForm(`${server.url}/setup`));
      await fc.assert(
        fc.asyncProperty(probe(targets), async ({ endpoint, field, value }) => {
          expectSafeAnswer(endpoint.name, field, await endpoint.send(field, value));
        }),
        { numRuns: PROBES_BEFORE_SETUP },
      );
      expect(errorLines(server)).to.deep.equal([]);
    });

    it('answers every other endpoint below 500, with no internals', async () => {
      const targets = endpoints(await createOwnerAndFixture(server.url));
      await fc.assert(
        fc.asyncProperty(probe(targets), async ({ endpoint, field, value }) => {
          expectSafeAnswer(endpoint.name, field, await endpoint.send(field, value));
        }),
        { numRuns: PROBES },
      );
      expect(errorLines(server)).to.deep.equal([]);
    });
  });
}
