import { expect } from 'chai';
import { bearer, request, type JsonResponse } from '../support/server.js';

/** An app as the admin API shows it (docs/http-api.md#apps). */
export interface WireApp {
  id: string;
  name: string;
  callback_url: string;
  redirect_uris: string[];
  icon: string;
  client_type: string;
  dynamically_registered: boolean;
  grant_types: string[];
  scope?: string;
  introspect_any: boolean;
  client_credentials_scope?: string;
  endpoints: { authorization: string; token: string; device_authorization: string };
}

/** A freshly created secret, the only time its full value is shown. */
export interface WireNewSecret {
  id: string;
  client_secret_full: string;
}

/** A secret as the secret listing shows it. */
export interface WireSecret {
  id: string;
  created_at: string;
  last_used_at?: string;
  client_secret_truncated: string;
}

export interface WireValidation {
  field: string;
  detail: string;
}

export const SECRET_PREFIX = 'lk_secret_';
export const SECRET_PATTERN = /^lk_secret_[A-Za-z0-9_-]{43}$/;

/** Paths (JSON pointers) of every `null` in a parsed JSON value. */
export const nullsIn = (value: unknown, path = ''): string[] => {
  if (value === null) return [path === '' ? '/' : path];
  if (Array.isArray(value)) return value.flatMap((item, i) => nullsIn(item, `${path}/${i}`));
  if (typeof value === 'object')
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      nullsIn(item, `${path}/${key}`),
    );
  return [];
};

/** docs/http-api.md#conventions: JSON responses never contain `null`. */
export const expectNoNull = (response: JsonResponse, what: string): void => {
  if (response.body === undefined) return;
  expect(nullsIn(response.body), `nulls in ${what}: ${response.text}`).to.deep.equal([]);
};

/** The `field`s of an API error's `validations`. */
export const validationFields = (response: JsonResponse): string[] => {
  const body = response.body as { validations?: WireValidation[] } | undefined;
  return (body?.validations ?? []).map((v) => v.field);
};

export type AppBody = Record<string, unknown>;

export const appBody = (overrides: AppBody = {}): AppBody => ({
  name: 'my-app',
  callback_url: 'https://app.example.com/callback',
  ...overrides,
});

/**
 * The admin API of docs/http-api.md#apps for one caller (`token` undefined: unauthenticated). Every
 * response is checked for `null` on the way.
 */
export const adminApi = (url: string, token: string | undefined) => {
  const appsUrl = `${url}/api/v2/oauth2-provider/apps`;
  const auth = (): Record<string, string> => (token === undefined ? {} : bearer(token));

  const call = async (method: string, path: string, body?: unknown): Promise<JsonResponse> => {
    const init: RequestInit =
      body === undefined
        ? { method, headers: auth() }
        : {
            method,
            headers: { ...auth(), 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          };
    const response = await request(`${appsUrl}${path}`, init);
    expectNoNull(response, `${method} ${path}`);
    return response;
  };

  /** Sends a body exactly as given, with the given content type. */
  const raw = async (method: string, path: string, contentType: string, body: string) => {
    const response = await request(`${appsUrl}${path}`, {
      method,
      headers: { ...auth(), 'Content-Type': contentType },
      body,
    });
    expectNoNull(response, `${method} ${path}`);
    return response;
  };

  return {
    appsUrl,
    call,
    raw,
    list: (query = '') => call('GET', query),
    get: (id: string) => call('GET', `/${id}`),
    create: (body: unknown) => call('POST', '', body),
    update: (id: string, body: unknown) => call('PUT', `/${id}`, body),
    remove: (id: string) => call('DELETE', `/${id}`),
    secrets: (id: string) => call('GET', `/${id}/secrets`),
    createSecret: (id: string) => call('POST', `/${id}/secrets`),
    deleteSecret: (id: string, secretId: string, query = '') =>
      call('DELETE', `/${id}/secrets/${secretId}${query}`),

    /** Creates an app and insists on 201. */
    async createApp(overrides: AppBody = {}): Promise<WireApp> {
      const response = await call('POST', '', appBody(overrides));
      expect(response.status, response.text).to.equal(201);
      return response.body as WireApp;
    },

    /** Creates a secret and insists on 201. */
    async createSecretOf(id: string): Promise<WireNewSecret> {
      const response = await call('POST', `/${id}/secrets`);
      expect(response.status, response.text).to.equal(201);
      return response.body as WireNewSecret;
    },
  };
};

export type AdminApi = ReturnType<typeof adminApi>;

/** The app keys every app has; `scope` only when one is registered. */
export const APP_KEYS = [
  'callback_url',
  'client_type',
  'dynamically_registered',
  'endpoints',
  'grant_types',
  'icon',
  'id',
  'introspect_any',
  'name',
  'redirect_uris',
];

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Create, read, replace, delete, read again (docs/http-api.md#apps), shared by the in-memory and the
 * PostgreSQL suites.
 */
export const roundTripsAnApp = async (api: AdminApi, issuer: string): Promise<void> => {
  const created = await api.create(
    appBody({ name: 'round-trip', callback_url: 'https://rt.example.com/cb', icon: '/icons/rt.svg' }),
  );
  expect(created.status, created.text).to.equal(201);
  const app = created.body as WireApp;
  expect(Object.keys(app).sort()).to.deep.equal(APP_KEYS);
  expect(app.id).to.match(UUID);
  expect(app).to.deep.equal({
    id: app.id,
    name: 'round-trip',
    callback_url: 'https://rt.example.com/cb',
    redirect_uris: ['https://rt.example.com/cb'],
    icon: '/icons/rt.svg',
    client_type: 'confidential',
    dynamically_registered: false,
    grant_types: ['authorization_code', 'refresh_token'],
    introspect_any: false,
    endpoints: {
      authorization: `${issuer}/oauth2/authorize`,
      token: `${issuer}/oauth2/tokens`,
      device_authorization: '',
    },
  });

  const read = await api.get(app.id);
  expect(read.status).to.equal(200);
  expect(read.body).to.deep.equal(app);

  // Give every optional field a value, then replace them by omission.
  const full = await api.update(app.id, {
    name: 'round-trip-2',
    callback_url: 'https://rt2.example.com/cb',
    icon: '/icons/rt2.svg',
    redirect_uris: ['https://rt2.example.com/other'],
    scope: 'user:read',
    introspect_any: true,
  });
  expect(full.status, full.text).to.equal(200);
  expect(full.body).to.deep.include({
    id: app.id,
    name: 'round-trip-2',
    callback_url: 'https://rt2.example.com/cb',
    icon: '/icons/rt2.svg',
    scope: 'user:read',
    introspect_any: true,
    client_type: 'confidential',
  });

  const replaced = await api.update(app.id, {
    name: 'round-trip-3',
    callback_url: 'https://rt3.example.com/cb',
  });
  expect(replaced.status, replaced.text).to.equal(200);
  const after = replaced.body as WireApp;
  expect(Object.keys(after).sort()).to.deep.equal(APP_KEYS);
  expect(after).to.deep.include({
    id: app.id,
    name: 'round-trip-3',
    callback_url: 'https://rt3.example.com/cb',
    redirect_uris: ['https://rt3.example.com/cb'],
    icon: '',
    introspect_any: false,
    client_type: 'confidential',
    dynamically_registered: false,
  });
  expect(after).to.not.have.property('scope');
  expect((await api.get(app.id)).body).to.deep.equal(after);

  const removed = await api.remove(app.id);
  expect(removed.status).to.equal(204);
  expect(removed.text).to.equal('');
  const gone = await api.get(app.id);
  expect(gone.status).to.equal(404);
  expect(gone.body).to.have.property('message').that.is.a('string');
};

/**
 * Deleting secrets (docs/http-api.md#apps): gone from the listing, a second delete and another app's
 * secret → 404. Shared by the in-memory and the PostgreSQL suites.
 */
export const deletesSecrets = async (api: AdminApi): Promise<void> => {
  const app = await api.createApp({ name: 'secret-keeper' });
  const other = await api.createApp({ name: 'other-app' });
  const kept = await api.createSecretOf(app.id);
  const doomed = await api.createSecretOf(app.id);
  const foreign = await api.createSecretOf(other.id);

  const deleted = await api.deleteSecret(app.id, doomed.id);
  expect(deleted.status, deleted.text).to.equal(204);
  expect(deleted.text).to.equal('');
  const listed = await api.secrets(app.id);
  expect(listed.status).to.equal(200);
  expect((listed.body as WireSecret[]).map((s) => s.id)).to.deep.equal([kept.id]);

  const again = await api.deleteSecret(app.id, doomed.id);
  expect(again.status).to.equal(404);

  const crossed = await api.deleteSecret(app.id, foreign.id);
  expect(crossed.status).to.equal(404);
  const othersSecrets = await api.secrets(other.id);
  expect((othersSecrets.body as WireSecret[]).map((s) => s.id)).to.deep.equal([foreign.id]);

  const withRevoke = await api.deleteSecret(app.id, kept.id, '?revoke_tokens=true');
  expect(withRevoke.status, withRevoke.text).to.equal(204);
  expect((await api.secrets(app.id)).body).to.deep.equal([]);
};
