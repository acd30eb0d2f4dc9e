import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  ClientTypeCodec,
  DEFAULT_GRANT_TYPES,
  GRANT_TYPES,
  MCP_PATH,
  Role,
  SCOPE_ALL,
  SCOPE_MCP,
  SCOPE_USER_READ,
  TOKEN_ENDPOINT_AUTH_METHODS,
  type OAuthErrorCode,
} from '@latchkey/domain';
import { SESSION_COOKIE } from '../config.js';
import { APP_REQUIRED_FIELDS } from '../wire.js';

/*
 * The OpenAPI 3.1 description of the HTTP API (docs/http-api.md#conventions, "OpenAPI document"),
 * served at `GET /api/openapi.json`.
 *
 * Written by hand, not generated from the io-ts codecs: most wire fields are refined strings
 * whose rule is a predicate (a URL parser, a scope list read from the configuration), which no
 * converter can turn into a JSON Schema, and the responses have no codecs at all. What the
 * domain does hold as data — enumerations (roles, client types, audit actions and resource
 * types, token endpoint authentication methods, grant types, scopes) — is read from it here,
 * so those have one source. The document is kept honest by the HTTP test suites instead: every
 * request they send and every answer they get is validated against it, and an answer that does
 * not match (or a route or status it does not list) fails the test.
 *
 * Response objects are closed (`additionalProperties: false`), so a field added to an answer
 * without adding it here fails the suites too. Request bodies are open where the server ignores
 * unknown fields (RFC 7591 §2, and io-ts object codecs).
 */

export interface OpenApiSettings {
  /** The issuer (docs/http-api.md, *issuer*): the server URL and the base of the OAuth URLs. */
  readonly issuer: string;
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES`. */
  readonly supportedScopes: readonly string[];
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
type JsonObject = { readonly [key: string]: Json };

/** Every OAuth error code the server writes (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2). */
const OAUTH_ERROR_CODES = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'invalid_scope',
  'invalid_target',
  'access_denied',
  'login_required',
  'consent_required',
  'request_not_supported',
  'request_uri_not_supported',
  'invalid_token',
  'invalid_client_metadata',
  'invalid_redirect_uri',
  'temporarily_unavailable',
  'server_error',
] as const satisfies readonly OAuthErrorCode[];
/** Compile-time check that the list above names every code of the domain's union. */
const _everyOAuthCodeListed: Exclude<OAuthErrorCode, (typeof OAUTH_ERROR_CODES)[number]> extends never
  ? true
  : false = true;

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });
const response = (name: string): JsonObject => ({ $ref: `#/components/responses/${name}` });
const json = (schema: JsonObject, example?: Json): JsonObject => ({
  'application/json': example === undefined ? { schema } : { schema, example },
});
const str = (description?: string): JsonObject =>
  description === undefined ? { type: 'string' } : { type: 'string', description };
const optionalStr = (description: string): JsonObject => ({ type: ['string', 'null'], description });
const closed = (properties: JsonObject, required: readonly string[], extra: JsonObject = {}): JsonObject => ({
  type: 'object',
  properties,
  required: [...required],
  additionalProperties: false,
  ...extra,
});

const UUID = { type: 'string', format: 'uuid' };
const TIMESTAMP = { type: 'string', format: 'date-time', description: 'RFC 3339, UTC' };
const EXAMPLE_ID = '0193a5b2-7c1e-7d2a-9f3b-5e8c4d2a1b00';
const EXAMPLE_TIME = '2026-12-01T09:30:00.000Z';

/** The fields a new user has in both user-creating bodies (the first owner's and an owner's). */
const NEW_USER_FIELDS = {
  email: { type: 'string', maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$' },
  username: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$' },
  password: { type: 'string', minLength: 8, maxLength: 256 },
  name: { type: 'string', maxLength: 128 },
};

const noStoreHeaders: JsonObject = {
  'Cache-Control': { $ref: '#/components/headers/NoStore' },
  Pragma: { $ref: '#/components/headers/Pragma' },
};

const schemas = (settings: OpenApiSettings): JsonObject => ({
  ApiError: closed(
    {
      message: str('what went wrong, for a person to read'),
      detail: str('more about it; on a 500, the request id and nothing else'),
      validations: {
        type: 'array',
        description: 'every offending field of a 400',
        items: closed({ field: str('the field, e.g. `redirect_uris[1]` or `body`'), detail: str() }, [
          'field',
          'detail',
        ]),
      },
    },
    ['message'],
    {
      description:
        'The API error (docs/http-api.md#conventions), used by `/api/*`, the probes and `DELETE /oauth2/tokens`.',
      example: {
        message: 'The request body is invalid.',
        validations: [
          {
            field: 'callback_url',
            detail:
              'must be an absolute http or https URL with a host, written with the characters RFC 3986 allows',
          },
        ],
      },
    },
  ),
  OAuthError: closed(
    {
      error: { type: 'string', enum: [...OAUTH_ERROR_CODES] },
      error_description: str('human-readable, generic; never a secret'),
    },
    ['error'],
    {
      description:
        'The OAuth error (RFC 6749 §5.2), used by every `/oauth2/*` route except `DELETE /oauth2/tokens`.',
      example: { error: 'invalid_grant', error_description: 'The authorization code is invalid or expired.' },
    },
  ),
  AnyError: {
    description:
      'Either error shape: OAuth endpoints answer a body refused before the endpoint ran (too large) and unexpected failures as API errors.',
    anyOf: [ref('OAuthError'), ref('ApiError')],
  },
  RouteNotFound: closed({ message: { const: 'Route not found.' } }, ['message']),
  Health: closed({ status: { const: 'ok' } }, ['status'], { example: { status: 'ok' } }),
  User: closed(
    {
      id: UUID,
      email: str(),
      username: str(),
      name: str('display name; may be empty'),
      role: { type: 'string', enum: Object.keys(Role.keys) },
      created_at: TIMESTAMP,
    },
    ['id', 'email', 'username', 'name', 'role', 'created_at'],
    {
      example: {
        id: EXAMPLE_ID,
        email: 'owner@example.com',
        username: 'owner',
        name: 'Olive Owner',
        role: 'owner',
        created_at: EXAMPLE_TIME,
      },
    },
  ),
  NewFirstUser: {
    type: 'object',
    description: 'Unknown fields are ignored.',
    properties: {
      ...NEW_USER_FIELDS,
      setup_token: str('required when `LATCHKEY_SETUP_TOKEN` is set'),
    },
    required: ['email', 'username', 'password'],
    example: { email: 'owner@example.com', username: 'owner', password: 'correct horse battery' },
  },
  NewUser: {
    type: 'object',
    description: 'Unknown fields are ignored.',
    properties: {
      ...NEW_USER_FIELDS,
      role: { type: 'string', enum: Object.keys(Role.keys), default: 'member' },
    },
    required: ['email', 'username', 'password'],
    example: { email: 'member@example.com', username: 'member', password: 'member password 1' },
  },
  LoginRequest: {
    type: 'object',
    properties: { email: str(), password: str() },
    required: ['email', 'password'],
    example: { email: 'owner@example.com', password: 'correct horse battery' },
  },
  Session: closed({ session_token: { type: 'string', pattern: '^lk_sess_' } }, ['session_token'], {
    example: { session_token: 'lk_sess_3q2-7wEjzVQXbXG8ZqXk4x1ZfJqM5n3rT9yC2bA7dE0' },
  }),
  App: closed(
    {
      id: { ...UUID, description: 'the client_id' },
      name: str(),
      callback_url: str(),
      redirect_uris: { type: 'array', items: str() },
      icon: str(),
      client_type: { type: 'string', enum: Object.keys(ClientTypeCodec.keys) },
      dynamically_registered: { type: 'boolean' },
      grant_types: {
        type: 'array',
        items: { type: 'string', enum: [...GRANT_TYPES] },
        description:
          'has `client_credentials` when the app enabled that grant (docs/http-api.md#client-credentials-grant)',
      },
      scope: str('space-separated; absent when the app has no registered scope'),
      introspect_any: { type: 'boolean' },
      client_credentials_scope: str(
        'space-separated scopes the client credentials grant may give; absent when the grant is off or allows none',
      ),
      client_id_metadata_document: str(
        'the URL that is its client_id, for a client known by its metadata document (docs/http-api.md#client-id-metadata-documents)',
      ),
      endpoints: closed({ authorization: str(), token: str(), device_authorization: { const: '' } }, [
        'authorization',
        'token',
        'device_authorization',
      ]),
    },
    APP_REQUIRED_FIELDS,
    {
      example: {
        id: EXAMPLE_ID,
        name: 'dashboard',
        callback_url: 'https://dashboard.example.com/callback',
        redirect_uris: ['https://dashboard.example.com/callback'],
        icon: '',
        client_type: 'confidential',
        dynamically_registered: false,
        grant_types: ['authorization_code', 'refresh_token'],
        introspect_any: false,
        endpoints: {
          authorization: `${settings.issuer}/oauth2/authorize`,
          token: `${settings.issuer}/oauth2/tokens`,
          device_authorization: '',
        },
      },
    },
  ),
  AppRequest: {
    type: 'object',
    description:
      '`null` in an optional field counts as omitted; unknown fields are ignored (docs/http-api.md#apps).',
    properties: {
      name: {
        type: 'string',
        maxLength: 32,
        pattern: '^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$',
        not: { enum: ['new', 'create'] },
      },
      callback_url: str(
        'absolute http or https URL with a host, written with the characters RFC 3986 allows (docs/http-api.md#create-and-update)',
      ),
      icon: optionalStr('empty, a path on this server, or an absolute http or https URL'),
      redirect_uris: { type: ['array', 'null'], items: str(), maxItems: 100 },
      client_type: { type: ['string', 'null'], enum: [...Object.keys(ClientTypeCodec.keys), null] },
      scope: optionalStr('space-separated supported scopes'),
      introspect_any: { type: ['boolean', 'null'] },
      client_credentials: {
        type: ['boolean', 'null'],
        description:
          'enables the client credentials grant; confidential apps only (docs/http-api.md#client-credentials-grant)',
      },
      client_credentials_scope: optionalStr(
        'space-separated scopes the client credentials grant may give: supported ones that act for no user',
      ),
    },
    required: ['name', 'callback_url'],
    example: { name: 'dashboard', callback_url: 'https://dashboard.example.com/callback' },
  },
  ClientSecret: closed(
    {
      id: UUID,
      created_at: TIMESTAMP,
      last_used_at: TIMESTAMP,
      client_secret_truncated: { type: 'string', description: 'the last 6 characters of the secret' },
    },
    ['id', 'created_at', 'client_secret_truncated'],
    { example: { id: EXAMPLE_ID, created_at: EXAMPLE_TIME, client_secret_truncated: 'x9Qa_3' } },
  ),
  NewClientSecret: closed(
    { id: UUID, client_secret_full: { type: 'string', pattern: '^lk_secret_' } },
    ['id', 'client_secret_full'],
    {
      description: 'The only time the full secret is shown.',
      example: {
        id: EXAMPLE_ID,
        client_secret_full: 'lk_secret_Jq8m2XnV4bR7tY1wZ3kL5pA9sD0fG6hC2eU8iO4yT1q',
      },
    },
  ),
  AuditEntry: closed(
    {
      id: UUID,
      time: TIMESTAMP,
      action: { type: 'string', enum: [...AUDIT_ACTIONS] },
      resource_type: { type: 'string', enum: [...AUDIT_RESOURCE_TYPES] },
      resource_id: str('empty for a login attempt with an unknown email'),
      actor_id: UUID,
      ip: str(),
      user_agent: str(),
      status: { type: 'integer', description: 'the HTTP status of the request' },
      diff: {
        type: 'object',
        additionalProperties: closed({ old: {}, new: {} }, []),
      },
    },
    ['id', 'time', 'action', 'resource_type', 'resource_id', 'ip', 'user_agent', 'status', 'diff'],
  ),
  AuditLogPage: closed(
    {
      audit_logs: { type: 'array', items: ref('AuditEntry') },
      count: { type: 'integer', minimum: 0, description: 'the number of matching entries' },
    },
    ['audit_logs', 'count'],
    {
      example: {
        audit_logs: [
          {
            id: EXAMPLE_ID,
            time: EXAMPLE_TIME,
            action: 'login',
            resource_type: 'user',
            resource_id: EXAMPLE_ID,
            actor_id: EXAMPLE_ID,
            ip: '127.0.0.1',
            user_agent: 'curl/8.5.0',
            status: 201,
            diff: {},
          },
        ],
        count: 1,
      },
    },
  ),
  ClientCredentialsInBody: {
    type: 'object',
    description:
      '`client_secret_post` (RFC 6749 §2.3.1): `client_id` and `client_secret` in the form; a public client sends `client_id` alone. Not together with HTTP Basic.',
    properties: { client_id: str(), client_secret: str() },
  },
  AuthorizationCodeTokenRequest: {
    allOf: [ref('ClientCredentialsInBody')],
    type: 'object',
    properties: {
      grant_type: { const: 'authorization_code' },
      code: { type: 'string', pattern: '^lk_code_' },
      code_verifier: { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$' },
      redirect_uri: str('equal to the one sent to the authorization endpoint, when it sent one'),
      resource: str('RFC 8707; equal to the one sent to the authorization endpoint'),
    },
    required: ['grant_type', 'code', 'code_verifier'],
  },
  RefreshTokenRequest: {
    allOf: [ref('ClientCredentialsInBody')],
    type: 'object',
    properties: {
      grant_type: { const: 'refresh_token' },
      refresh_token: { type: 'string', pattern: '^lk_rt_' },
      scope: str('a subset of the granted scope'),
      resource: str('RFC 8707; the resource the grant is bound to'),
    },
    required: ['grant_type', 'refresh_token'],
  },
  ClientCredentialsTokenRequest: {
    allOf: [ref('ClientCredentialsInBody')],
    type: 'object',
    description: 'RFC 6749 §4.4.2 (docs/http-api.md#client-credentials-grant); the client must authenticate.',
    properties: {
      grant_type: { const: 'client_credentials' },
      scope: str('a subset of the scopes the app allows for this grant; omitted: all of them'),
      resource: str('RFC 8707; an allowed resource, the issuer when omitted'),
    },
    required: ['grant_type'],
  },
  TokenRequest: {
    description:
      'RFC 6749 §4.1.3, §4.4.2 and §6, form-encoded; a parameter given twice is `invalid_request`.',
    oneOf: [
      ref('AuthorizationCodeTokenRequest'),
      ref('RefreshTokenRequest'),
      ref('ClientCredentialsTokenRequest'),
    ],
  },
  TokenResponse: closed(
    {
      access_token: {
        type: 'string',
        pattern: '^(lk_at_|eyJ)',
        description: 'opaque, or an RFC 9068 JWT for a resource marked JWT',
      },
      token_type: { const: 'Bearer' },
      expires_in: { type: 'integer', minimum: 0 },
      refresh_token: { type: 'string', pattern: '^lk_rt_' },
      scope: str('space-separated'),
      id_token: str('OpenID Connect Core §3.1.3.3: a signed JWT, when the code was granted `openid`'),
    },
    ['access_token', 'token_type', 'expires_in', 'scope'],
    {
      example: {
        access_token: 'lk_at_kX9m2VbN4rT7yW1zQ3jL5pA8sD0fG6hC2eU8iO4yT1q',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'lk_rt_Pq7n3XbV5cR8tY2wZ4kL6pA0sD1fG7hC3eU9iO5yT2r',
        scope: 'mcp user:read',
      },
    },
  ),
  TokenInRequest: {
    allOf: [ref('ClientCredentialsInBody')],
    type: 'object',
    properties: {
      token: str(),
      token_type_hint: { type: 'string', description: 'RFC 7009 §2.1 / RFC 7662 §2.1; only a hint' },
    },
    required: ['token'],
  },
  IntrospectionResponse: {
    description: 'RFC 7662 §2.2',
    oneOf: [
      closed(
        {
          active: { const: true },
          client_id: str(),
          username: str('absent for a client credentials token, which has no user'),
          sub: { ...UUID, description: 'the user; for a client credentials token, the client_id' },
          scope: str(),
          aud: str('the resource the token is bound to (RFC 8707)'),
          exp: { type: 'integer', description: 'seconds since the epoch' },
          iat: { type: 'integer', description: 'seconds since the epoch' },
          token_type: { const: 'Bearer' },
        },
        ['active', 'client_id', 'sub', 'scope', 'exp', 'iat', 'token_type'],
      ),
      closed({ active: { const: false } }, ['active']),
    ],
    example: {
      active: true,
      client_id: EXAMPLE_ID,
      username: 'owner',
      sub: EXAMPLE_ID,
      scope: 'mcp',
      aud: `${settings.issuer}${MCP_PATH}`,
      exp: 1796118600,
      iat: 1796115000,
      token_type: 'Bearer',
    },
  },
  ClientMetadata: {
    type: 'object',
    description:
      'RFC 7591 §2 client metadata. Unknown fields are ignored; `null`, and `""` in a text field, count as omitted.',
    properties: {
      redirect_uris: { type: 'array', items: str(), minItems: 1 },
      grant_types: { type: ['array', 'null'], items: { type: 'string', enum: [...DEFAULT_GRANT_TYPES] } },
      response_types: { type: ['array', 'null'], items: { const: 'code' } },
      token_endpoint_auth_method: {
        type: ['string', 'null'],
        enum: [...TOKEN_ENDPOINT_AUTH_METHODS, '', null],
      },
      client_uri: optionalStr('absolute http or https URL'),
      logo_uri: optionalStr('absolute http or https URL'),
      tos_uri: optionalStr('absolute http or https URL'),
      policy_uri: optionalStr('absolute http or https URL'),
      jwks_uri: optionalStr('absolute http or https URL; not with `jwks`'),
      jwks: { type: ['object', 'null'] },
      application_type: { type: ['string', 'null'], enum: ['web', 'native', '', null] },
      client_name: { type: ['string', 'null'], maxLength: 256 },
      contacts: { type: ['array', 'null'], items: str() },
      scope: optionalStr('space-separated; unsupported values are dropped'),
      software_id: optionalStr('kept as sent'),
      software_version: optionalStr('kept as sent'),
    },
    required: ['redirect_uris'],
    example: {
      redirect_uris: ['http://127.0.0.1:33418/callback'],
      client_name: 'Example MCP client',
      token_endpoint_auth_method: 'none',
      scope: 'mcp',
    },
  },
  ClientMetadataUpdate: {
    description:
      'RFC 7592 §2.2: the whole registration again. `client_id`, when sent, must be this client; `client_secret`, when sent, its current secret.',
    allOf: [ref('ClientMetadata')],
    type: 'object',
    properties: { client_id: optionalStr('this client'), client_secret: optionalStr('the current secret') },
  },
  ClientRegistration: closed(
    {
      client_id: str(),
      client_id_issued_at: { type: 'integer', description: 'seconds since the epoch' },
      client_secret: { type: 'string', pattern: '^lk_secret_' },
      client_secret_expires_at: { const: 0 },
      registration_access_token: { type: 'string', pattern: '^lk_reg_' },
      registration_client_uri: str(),
      redirect_uris: { type: 'array', items: str() },
      token_endpoint_auth_method: { type: 'string', enum: [...TOKEN_ENDPOINT_AUTH_METHODS] },
      grant_types: { type: 'array', items: { type: 'string', enum: [...DEFAULT_GRANT_TYPES] } },
      response_types: { type: 'array', items: { const: 'code' } },
      scope: str('space-separated; absent when the client has no registered scope'),
      client_name: str(),
      client_uri: str(),
      logo_uri: str(),
      tos_uri: str(),
      policy_uri: str(),
      jwks_uri: str(),
      jwks: { type: 'object' },
      contacts: { type: 'array', items: str() },
      software_id: str(),
      software_version: str(),
      application_type: { type: 'string', enum: ['web', 'native'] },
    },
    [
      'client_id',
      'client_id_issued_at',
      'registration_client_uri',
      'redirect_uris',
      'token_endpoint_auth_method',
      'grant_types',
      'response_types',
    ],
    {
      description:
        'RFC 7591 §3.2.1 / RFC 7592 §3. `client_secret` only for confidential clients and only at registration or when it changes; `registration_access_token` only at registration.',
      example: {
        client_id: EXAMPLE_ID,
        client_id_issued_at: 1796115000,
        registration_access_token: 'lk_reg_Xb3n7VqM2rT8yW1zQ4jL6pA9sD0fG5hC2eU8iO3yT1w',
        registration_client_uri: `${settings.issuer}/oauth2/clients/${EXAMPLE_ID}`,
        redirect_uris: ['http://127.0.0.1:33418/callback'],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        scope: 'mcp',
        client_name: 'Example MCP client',
      },
    },
  ),
  AuthorizationServerMetadata: closed(
    {
      issuer: str(),
      authorization_endpoint: str(),
      token_endpoint: str(),
      registration_endpoint: str('only while dynamic registration is enabled'),
      revocation_endpoint: str(),
      introspection_endpoint: str(),
      response_types_supported: { type: 'array', items: str() },
      response_modes_supported: { type: 'array', items: str() },
      grant_types_supported: { type: 'array', items: str() },
      code_challenge_methods_supported: { type: 'array', items: str() },
      token_endpoint_auth_methods_supported: { type: 'array', items: str() },
      revocation_endpoint_auth_methods_supported: { type: 'array', items: str() },
      introspection_endpoint_auth_methods_supported: { type: 'array', items: str() },
      scopes_supported: { type: 'array', items: str() },
      authorization_response_iss_parameter_supported: { type: 'boolean' },
      client_id_metadata_document_supported: {
        type: 'boolean',
        description: 'present (true) while Client ID Metadata Documents are on',
      },
      jwks_uri: str('RFC 8414 §2: the signing keys (docs/openid-connect.md#signing-keys)'),
    },
    [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'revocation_endpoint',
      'introspection_endpoint',
      'response_types_supported',
      'grant_types_supported',
      'code_challenge_methods_supported',
      'token_endpoint_auth_methods_supported',
      'scopes_supported',
    ],
    { description: 'RFC 8414 §2 (docs/http-api.md#metadata)' },
  ),
  OpenIdConfiguration: {
    description:
      'OpenID Connect Discovery 1.0 §3: the RFC 8414 document plus the OpenID fields (docs/openid-connect.md#discovery)',
    type: 'object',
    properties: {
      issuer: str(),
      userinfo_endpoint: str(),
      jwks_uri: str(),
      subject_types_supported: { type: 'array', items: { const: 'public' } },
      id_token_signing_alg_values_supported: { type: 'array', items: { enum: ['ES256', 'RS256'] } },
      claims_supported: { type: 'array', items: str() },
      claims_parameter_supported: { const: false },
      request_parameter_supported: { const: false },
      request_uri_parameter_supported: { const: false },
    },
    required: [
      'issuer',
      'authorization_endpoint',
      'token_endpoint',
      'userinfo_endpoint',
      'jwks_uri',
      'response_types_supported',
      'subject_types_supported',
      'id_token_signing_alg_values_supported',
    ],
  },
  JsonWebKeySet: {
    description: 'RFC 7517 §5: the published public signing keys',
    type: 'object',
    properties: {
      keys: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            kty: { enum: ['EC', 'RSA'] },
            kid: str(),
            alg: { enum: ['ES256', 'RS256'] },
            use: { const: 'sig' },
          },
          required: ['kty', 'kid', 'alg', 'use'],
        },
      },
    },
    required: ['keys'],
    additionalProperties: false,
  },
  UserInfo: closed(
    {
      sub: str('the user id'),
      name: str('scope profile, when the user has a name'),
      preferred_username: str('scope profile'),
      email: str('scope email'),
      email_verified: { type: 'boolean', description: 'scope email; always false' },
    },
    ['sub'],
    { description: 'OpenID Connect Core §5.3.2 (docs/openid-connect.md#userinfo)' },
  ),
  ProtectedResourceMetadata: closed(
    {
      resource: str(),
      authorization_servers: { type: 'array', items: str() },
      bearer_methods_supported: { type: 'array', items: { const: 'header' } },
      scopes_supported: { type: 'array', items: str() },
    },
    ['resource', 'authorization_servers', 'bearer_methods_supported', 'scopes_supported'],
    {
      description: 'RFC 9728 §2 (docs/http-api.md#metadata)',
      example: {
        resource: `${settings.issuer}${MCP_PATH}`,
        authorization_servers: [settings.issuer],
        bearer_methods_supported: ['header'],
        scopes_supported: [SCOPE_MCP],
      },
    },
  ),
  JsonRpcMessage: {
    type: 'object',
    description: 'A JSON-RPC 2.0 message, or a batch of them (MCP Streamable HTTP).',
    properties: { jsonrpc: { const: '2.0' } },
  },
  JsonRpcPayload: {
    anyOf: [ref('JsonRpcMessage'), { type: 'array', items: ref('JsonRpcMessage') }],
  },
  FormFields: {
    type: 'object',
    description: 'An HTML form: fields as the page sent them (every form carries `csrf_token`).',
    additionalProperties: { anyOf: [str(), { type: 'array', items: str() }] },
  },
  OpenApiDocument: { type: 'object', description: 'This document.' },
});

/** The responses every route shares, by name. */
const responses: JsonObject = {
  ApiBadRequest: {
    description: 'Invalid input; `validations` names every offending field.',
    content: json(ref('ApiError')),
  },
  ApiUnauthorized: {
    description: 'Credential missing or not valid (RFC 6750 §3, docs/http-api.md#bearer-tokens).',
    headers: { 'WWW-Authenticate': { $ref: '#/components/headers/BearerChallenge' } },
    content: json(ref('ApiError')),
  },
  ApiForbidden: {
    description:
      'Authenticated but not permitted: a missing scope (with a `WWW-Authenticate` insufficient_scope challenge), a missing role, or a cookie-authenticated write from another origin.',
    headers: { 'WWW-Authenticate': { $ref: '#/components/headers/InsufficientScope' } },
    content: json(ref('ApiError')),
  },
  ApiNotFound: { description: 'Not found.', content: json(ref('ApiError')) },
  ApiConflict: { description: 'Conflict.', content: json(ref('ApiError')) },
  ApiPayloadTooLarge: { description: 'The body is larger than 64 KiB.', content: json(ref('ApiError')) },
  ApiUnsupportedMediaType: { description: 'Wrong `Content-Type`.', content: json(ref('ApiError')) },
  ApiTooManyRequests: {
    description: 'Rate limited.',
    headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
    content: json(ref('ApiError')),
  },
  ApiInternalError: {
    description: 'Unexpected failure; the body names the request id and nothing else.',
    content: json(ref('ApiError')),
  },
  ApiUnavailable: { description: 'The database is unavailable.', content: json(ref('ApiError')) },
  OAuthBadRequest: {
    description: 'RFC 6749 §5.2.',
    headers: noStoreHeaders,
    content: json(ref('OAuthError')),
  },
  OAuthUnauthorized: {
    description:
      '`invalid_client` (with `WWW-Authenticate: Basic realm="latchkey"` when HTTP Basic was tried), or `invalid_token`.',
    headers: { ...noStoreHeaders, 'WWW-Authenticate': { schema: { type: 'string' } } },
    content: json(ref('OAuthError')),
  },
  OAuthTooManyRequests: {
    description: '`temporarily_unavailable`: rate limited.',
    headers: { ...noStoreHeaders, 'Retry-After': { $ref: '#/components/headers/RetryAfter' } },
    content: json(ref('OAuthError')),
  },
  OAuthPayloadTooLarge: {
    description: 'The body is larger than 64 KiB.',
    headers: noStoreHeaders,
    content: json(ref('AnyError')),
  },
  OAuthInternalError: {
    description: '`server_error`, or an API error naming the request id.',
    headers: noStoreHeaders,
    content: json(ref('AnyError')),
  },
  OAuthUnavailable: {
    description: 'The database is unavailable.',
    headers: noStoreHeaders,
    content: json(ref('AnyError')),
  },
  RouteNotFound: {
    description:
      'Unknown route, or registration while it is disabled. A browser (`Accept: text/html`) asking for an unknown page gets an HTML page.',
    content: {
      ...json(ref('RouteNotFound')),
      'text/html': { schema: { type: 'string' } },
    },
  },
  Redirect: {
    description: 'A redirect; the body is a short note with the link.',
    headers: { Location: { $ref: '#/components/headers/Location' } },
    content: {
      'text/plain': { schema: { type: 'string' } },
      'text/html': { schema: { type: 'string' } },
    },
  },
  HtmlPage: {
    description: 'An HTML page.',
    content: { 'text/html': { schema: { type: 'string' } } },
  },
  PageNotFound: {
    description: 'No such file: an HTML page for a browser, else the API error or a plain-text note.',
    content: {
      'text/html': { schema: { type: 'string' } },
      'text/plain': { schema: { type: 'string' } },
      ...json(ref('RouteNotFound')),
    },
  },
  StaticFile: {
    description: 'A static file of the console, with its type; `ETag` for conditional requests.',
    headers: {
      ETag: { required: true, schema: { type: 'string' } },
      'Cache-Control': { required: true, schema: { type: 'string' } },
    },
    content: {
      'text/css': { schema: { type: 'string' } },
      'text/javascript': { schema: { type: 'string' } },
    },
  },
  PageOrApiError: {
    description:
      'An HTML page, or an API error when the request never reached the page (content type, body size, database).',
    content: {
      'text/html': { schema: { type: 'string' } },
      ...json(ref('ApiError')),
    },
  },
  Preflight: {
    description: 'CORS preflight (docs/http-api.md#cors): any origin, no credentials.',
    headers: {
      'Access-Control-Allow-Origin': { required: true, schema: { const: '*' } },
      'Access-Control-Allow-Methods': { required: true, schema: { type: 'string' } },
    },
  },
};

const headers: JsonObject = {
  NoStore: { required: true, schema: { const: 'no-store' } },
  Pragma: { required: true, schema: { const: 'no-cache' } },
  RetryAfter: { required: true, description: 'seconds', schema: { type: 'string', pattern: '^[0-9]+$' } },
  Location: { required: true, schema: { type: 'string', maxLength: 8192 } },
  BearerChallenge: {
    required: true,
    description: 'RFC 6750 §3 with the RFC 9728 `resource_metadata` parameter.',
    schema: { type: 'string', pattern: '^Bearer ' },
  },
  InsufficientScope: {
    description: 'Only when a scope is missing.',
    schema: { type: 'string', pattern: '^Bearer error="insufficient_scope"' },
  },
};

const securitySchemes = (settings: OpenApiSettings): JsonObject => {
  const descriptions: Record<string, string> = {
    [SCOPE_ALL]: 'everything the user may do',
    [SCOPE_USER_READ]: '`GET /api/v2/users/me`',
    [SCOPE_MCP]: 'the MCP endpoint',
  };
  const scopes = Object.fromEntries(
    settings.supportedScopes.map((scope) => [
      scope,
      descriptions[scope] ?? 'for another resource server (introspection)',
    ]),
  );
  return {
    sessionToken: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'lk_sess_…',
      description: 'A session token from `POST /api/v2/users/login`; it carries scope `all`.',
    },
    sessionCookie: {
      type: 'apiKey',
      in: 'cookie',
      name: SESSION_COOKIE,
      description:
        'The session token in the cookie set at login; read only without an `Authorization` header, and a write must come from the issuer’s origin (docs/http-api.md#cookie-authenticated-writes).',
    },
    accessToken: {
      type: 'oauth2',
      description:
        'An access token (`lk_at_…`) from the token endpoint, limited to its scopes and its audience (RFC 8707).',
      flows: {
        authorizationCode: {
          authorizationUrl: `${settings.issuer}/oauth2/authorize`,
          tokenUrl: `${settings.issuer}/oauth2/tokens`,
          refreshUrl: `${settings.issuer}/oauth2/tokens`,
          scopes,
        },
      },
    },
    clientSecretBasic: {
      type: 'http',
      scheme: 'basic',
      description:
        '`client_secret_basic` (RFC 6749 §2.3.1): the client id and secret, each form-encoded. The alternatives, `client_secret_post` and a public client’s bare `client_id`, are form fields (`ClientCredentialsInBody`).',
    },
    registrationAccessToken: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'lk_reg_…',
      description: 'The registration access token returned by `POST /oauth2/register` (RFC 7592 §3).',
    },
  };
};

/** `/api/*` credentials: a session (header or cookie) or an access token with `scope`. */
const apiKey = (scope: string): JsonObject[] => [
  { sessionToken: [] },
  { sessionCookie: [] },
  { accessToken: [scope] },
];
/** Token, revocation: Basic, or credentials in the form (`{}`: `client_secret_post`, public clients). */
const clientAuth: JsonObject[] = [{ clientSecretBasic: [] }, {}];

const serverErrors = { '500': response('ApiInternalError'), '503': response('ApiUnavailable') };
const authErrors = {
  '400': response('ApiBadRequest'),
  '401': response('ApiUnauthorized'),
  '403': response('ApiForbidden'),
};
const jsonBodyErrors = {
  '400': response('ApiBadRequest'),
  '413': response('ApiPayloadTooLarge'),
  '415': response('ApiUnsupportedMediaType'),
};
/** What the JSON endpoints of dynamic client registration answer to a body they cannot read. */
const registrationBodyErrors = {
  '413': { description: 'The body is too large.', headers: noStoreHeaders, content: json(ref('OAuthError')) },
  '415': { description: 'The body must be JSON.', headers: noStoreHeaders, content: json(ref('OAuthError')) },
};
const oauthErrors = {
  '400': response('OAuthBadRequest'),
  '401': response('OAuthUnauthorized'),
  '413': response('OAuthPayloadTooLarge'),
  '500': response('OAuthInternalError'),
  '503': response('OAuthUnavailable'),
};

const jsonRequest = (schema: string): JsonObject => ({ required: true, content: json(ref(schema)) });
const formRequest = (schema: string): JsonObject => ({
  required: true,
  content: { 'application/x-www-form-urlencoded': { schema: ref(schema) } },
});
const ok = (description: string, schema: JsonObject, extra: JsonObject = {}): JsonObject => ({
  description,
  content: json(schema),
  ...extra,
});
const noContent = (description: string, extra: JsonObject = {}): JsonObject => ({ description, ...extra });

const pathParam = (name: string, schema: JsonObject, description: string): JsonObject => ({
  name,
  in: 'path',
  required: true,
  description,
  schema,
});
const queryParam = (name: string, schema: JsonObject, description: string): JsonObject => ({
  name,
  in: 'query',
  description,
  schema,
});
const paging = (defaultLimit: number): JsonObject[] => [
  queryParam(
    'limit',
    { type: 'string', pattern: '^[0-9]{1,9}$' },
    `default ${defaultLimit}; above 500 counts as 500`,
  ),
  queryParam('offset', { type: 'string', pattern: '^[0-9]{1,9}$' }, 'skip this many'),
];

const APP_ID = pathParam(
  'app',
  { type: 'string' },
  'the app id (its client_id); anything but a UUID is a 404',
);
const SECRET_ID = pathParam('secret', { type: 'string' }, 'the secret id; anything but a UUID is a 404');
const CLIENT_ID = pathParam('client_id', { type: 'string' }, 'the client_id of a registered client');

/**
 * An HTML page (docs/http-api.md#users-and-sessions, #authorize), described loosely: its statuses
 * and content types. A new page is one more `page(...)` entry in `paths`.
 */
const page = (summary: string, statuses: Record<string, string>, extra: JsonObject = {}): JsonObject => ({
  tags: ['pages'],
  summary,
  ...extra,
  responses: {
    ...Object.fromEntries(Object.entries(statuses).map(([status, name]) => [status, response(name)])),
    '413': response('ApiPayloadTooLarge'),
    '415': response('ApiUnsupportedMediaType'),
    ...serverErrors,
  },
});
const formPage = {
  requestBody: {
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema: ref('FormFields') } },
  },
};

const preflight = (summary: string): JsonObject => ({
  tags: ['cors'],
  summary,
  responses: { '204': response('Preflight'), '404': response('RouteNotFound') },
});

/**
 * The web console (docs/http-api.md#web-console): server-rendered pages on the session cookie. A
 * signed-out browser is sent to `/login` (303); a member on an owner page gets a 403 page; forms
 * answer 303 when done, or the page again with the API's status (400, 404, 409).
 */
const CONSOLE_GET = { '200': 'HtmlPage', '303': 'Redirect', '403': 'HtmlPage', '404': 'HtmlPage' };
const CONSOLE_POST = {
  '200': 'HtmlPage',
  '201': 'HtmlPage',
  '303': 'Redirect',
  '400': 'PageOrApiError',
  '403': 'PageOrApiError',
  '404': 'HtmlPage',
  '409': 'HtmlPage',
};
const consoleGet = (summary: string, parameters: JsonObject[] = []): JsonObject =>
  page(summary, CONSOLE_GET, {
    security: [{ sessionCookie: [] }, {}],
    ...(parameters.length === 0 ? {} : { parameters }),
  });
const consolePost = (summary: string, parameters: JsonObject[] = []): JsonObject =>
  page(summary, CONSOLE_POST, {
    security: [{ sessionCookie: [] }],
    ...formPage,
    ...(parameters.length === 0 ? {} : { parameters }),
  });
const APP = pathParam('app', { type: 'string' }, 'the app id');
const CLIENT = pathParam('client', { type: 'string' }, 'a client id (an app id, or a metadata document URL)');
const SECRET = pathParam('secret', { type: 'string' }, 'the secret id');
const SESSION = pathParam('session', { type: 'string' }, 'the session id');

const consolePaths = (): JsonObject => ({
  '/': { get: consoleGet('Home page: navigation, sign-out, the tasks of the console') },
  '/logout': { post: consolePost('Sign out: ends the session and clears the cookie') },
  '/authorized-apps': { get: consoleGet('The applications the user has authorized') },
  '/authorized-apps/revoke-all': {
    get: consoleGet('Confirm revoking every application'),
    post: consolePost('Revoke every application the user authorized'),
  },
  '/authorized-apps/{client}/revoke': {
    get: consoleGet('Confirm revoking one application', [CLIENT]),
    post: consolePost('Revoke one application', [CLIENT]),
  },
  '/sessions': { get: consoleGet('The user\u2019s sessions') },
  '/sessions/{session}/end': { post: consolePost('End another session', [SESSION]) },
  '/password': {
    get: consoleGet('Change password form'),
    post: consolePost('Change the password; the other sessions end'),
  },
  '/apps': {
    get: consoleGet('Owners: the owner-created apps'),
    post: consolePost('Owners: create an app'),
  },
  '/apps/new': { get: consoleGet('Owners: new app form') },
  '/apps/{app}': { get: consoleGet('Owners: an app and its secrets', [APP]) },
  '/apps/{app}/edit': {
    get: consoleGet('Owners: edit an app', [APP]),
    post: consolePost('Owners: update an app', [APP]),
  },
  '/apps/{app}/delete': {
    get: consoleGet('Owners: confirm deleting an app', [APP]),
    post: consolePost('Owners: delete an app', [APP]),
  },
  '/apps/{app}/secrets': {
    post: consolePost(
      'Owners: create a secret, shown once (no-store); the form (`secret_id`, fresh per render) creates one secret at most, the same form again → 303',
      [APP],
    ),
  },
  '/apps/{app}/secrets/{secret}/delete': {
    get: consoleGet('Owners: confirm deleting a secret', [APP, SECRET]),
    post: consolePost('Owners: delete a secret', [APP, SECRET]),
  },
  '/registered-clients': { get: consoleGet('Owners: self-registered clients') },
  '/registered-clients/{client}/delete': {
    get: consoleGet('Owners: confirm deleting a self-registered client', [CLIENT]),
    post: consolePost('Owners: delete a self-registered client', [CLIENT]),
  },
  '/users': {
    get: consoleGet('Owners: the users'),
    post: consolePost('Owners: create a user'),
  },
  '/users/new': { get: consoleGet('Owners: new user form') },
  '/audit-log': {
    get: consoleGet('Owners: the audit log, filtered and paged', [
      queryParam('action', { type: 'string' }, 'filter'),
      queryParam('resource_type', { type: 'string' }, 'filter'),
      queryParam('user', { type: 'string' }, 'filter: the acting user'),
      queryParam('page', { type: 'string' }, 'page number, from 1'),
    ]),
  },
});

const paths = (): JsonObject => ({
  '/api/openapi.json': {
    get: {
      tags: ['meta'],
      summary: 'This document',
      operationId: 'getOpenApiDocument',
      responses: {
        '200': ok('The OpenAPI 3.1 document.', ref('OpenApiDocument'), {
          headers: {
            'Cache-Control': { required: true, schema: { type: 'string', pattern: '^public' } },
            ETag: { required: true, schema: { type: 'string' } },
          },
        }),
        '304': noContent('Not modified (`If-None-Match` named the current `ETag`).'),
      },
    },
  },
  '/healthz': {
    get: {
      tags: ['health'],
      summary: 'Liveness',
      operationId: 'getLiveness',
      responses: { '200': ok('Alive.', ref('Health')), '500': response('ApiInternalError') },
    },
  },
  '/readyz': {
    get: {
      tags: ['health'],
      summary: 'Readiness: the database answers',
      operationId: 'getReadiness',
      responses: { '200': ok('Ready.', ref('Health')), ...serverErrors },
    },
  },
  '/api/v2/users/first': {
    post: {
      tags: ['users'],
      summary: 'Create the first user, an owner',
      operationId: 'createFirstUser',
      description: 'Public, and only until a user exists (then 409).',
      security: [{}],
      requestBody: jsonRequest('NewFirstUser'),
      responses: {
        '201': ok('The owner.', ref('User')),
        ...jsonBodyErrors,
        '403': { description: 'The setup token is missing or wrong.', content: json(ref('ApiError')) },
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
  },
  '/api/v2/users/login': {
    post: {
      tags: ['sessions'],
      summary: 'Log in: email and password → session token and cookie',
      operationId: 'login',
      security: [{}],
      requestBody: jsonRequest('LoginRequest'),
      responses: {
        '201': ok('Signed in; also sets the `latchkey_session` cookie.', ref('Session'), {
          headers: {
            'Set-Cookie': { required: true, schema: { type: 'string' } },
            'Cache-Control': { $ref: '#/components/headers/NoStore' },
          },
        }),
        ...jsonBodyErrors,
        '401': {
          description: 'Wrong email or password (one message for both).',
          content: json(ref('ApiError')),
        },
        '429': response('ApiTooManyRequests'),
        ...serverErrors,
      },
    },
  },
  '/api/v2/users/logout': {
    post: {
      tags: ['sessions'],
      summary: 'End the calling session (an access token: revoke it)',
      operationId: 'logout',
      security: apiKey(SCOPE_ALL),
      responses: {
        '204': noContent('Signed out; the cookie is cleared.'),
        ...authErrors,
        ...serverErrors,
      },
    },
  },
  '/api/v2/users/me': {
    get: {
      tags: ['users'],
      summary: 'The authenticated user',
      operationId: 'getMe',
      security: apiKey(SCOPE_USER_READ),
      responses: { '200': ok('The caller.', ref('User')), ...authErrors, ...serverErrors },
    },
  },
  '/api/v2/users': {
    get: {
      tags: ['users'],
      summary: 'List users (owner)',
      operationId: 'listUsers',
      security: apiKey(SCOPE_ALL),
      parameters: paging(100),
      responses: {
        '200': ok('The users.', { type: 'array', items: ref('User') }),
        ...authErrors,
        ...serverErrors,
      },
    },
    post: {
      tags: ['users'],
      summary: 'Create a user (owner)',
      operationId: 'createUser',
      security: apiKey(SCOPE_ALL),
      requestBody: jsonRequest('NewUser'),
      responses: {
        '201': ok('The new user.', ref('User')),
        ...authErrors,
        ...jsonBodyErrors,
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
  },
  '/api/v2/audit-logs': {
    get: {
      tags: ['audit'],
      summary: 'Audit entries, newest first (owner)',
      operationId: 'listAuditLogs',
      security: apiKey(SCOPE_ALL),
      parameters: [
        ...paging(50),
        queryParam('resource_type', { type: 'string', enum: [...AUDIT_RESOURCE_TYPES] }, 'filter'),
        queryParam('action', { type: 'string', enum: [...AUDIT_ACTIONS] }, 'filter'),
      ],
      responses: { '200': ok('A page of entries.', ref('AuditLogPage')), ...authErrors, ...serverErrors },
    },
  },
  '/api/v2/oauth2-provider/apps': {
    get: {
      tags: ['apps'],
      summary: 'List apps, by name (any user; a member sees only what concerns them)',
      operationId: 'listApps',
      security: apiKey(SCOPE_ALL),
      parameters: [
        ...paging(100),
        queryParam('dynamically_registered', { type: 'string', enum: ['true', 'false'] }, 'filter'),
        queryParam('user_id', UUID, 'only apps this user has live grants for'),
      ],
      responses: {
        '200': ok('The apps.', { type: 'array', items: ref('App') }),
        ...authErrors,
        ...serverErrors,
      },
    },
    post: {
      tags: ['apps'],
      summary: 'Create an app (owner)',
      operationId: 'createApp',
      security: apiKey(SCOPE_ALL),
      requestBody: jsonRequest('AppRequest'),
      responses: {
        '201': ok('The new app.', ref('App')),
        ...authErrors,
        ...jsonBodyErrors,
        ...serverErrors,
      },
    },
  },
  '/api/v2/oauth2-provider/apps/{app}': {
    parameters: [APP_ID],
    get: {
      tags: ['apps'],
      summary: 'Read an app',
      operationId: 'getApp',
      security: apiKey(SCOPE_ALL),
      responses: {
        '200': ok('The app.', ref('App')),
        ...authErrors,
        '404': response('ApiNotFound'),
        ...serverErrors,
      },
    },
    put: {
      tags: ['apps'],
      summary: 'Replace an app (owner; not a dynamically registered one: 409)',
      operationId: 'updateApp',
      security: apiKey(SCOPE_ALL),
      requestBody: jsonRequest('AppRequest'),
      responses: {
        '200': ok('The app.', ref('App')),
        ...authErrors,
        ...jsonBodyErrors,
        '404': response('ApiNotFound'),
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
    delete: {
      tags: ['apps'],
      summary: 'Delete an app with its secrets, codes, grants and tokens (owner)',
      operationId: 'deleteApp',
      security: apiKey(SCOPE_ALL),
      responses: {
        '204': noContent('Deleted.'),
        ...authErrors,
        '404': response('ApiNotFound'),
        ...serverErrors,
      },
    },
  },
  '/api/v2/oauth2-provider/apps/{app}/secrets': {
    parameters: [APP_ID],
    get: {
      tags: ['apps'],
      summary: 'List client secrets (owner)',
      operationId: 'listAppSecrets',
      security: apiKey(SCOPE_ALL),
      responses: {
        '200': ok('The secrets, truncated.', { type: 'array', items: ref('ClientSecret') }),
        ...authErrors,
        '404': response('ApiNotFound'),
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
    post: {
      tags: ['apps'],
      summary: 'Create a client secret (owner); no request body',
      operationId: 'createAppSecret',
      security: apiKey(SCOPE_ALL),
      responses: {
        '201': ok('The new secret, in full this once.', ref('NewClientSecret'), {
          headers: { 'Cache-Control': { $ref: '#/components/headers/NoStore' } },
        }),
        ...authErrors,
        '404': response('ApiNotFound'),
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
  },
  '/api/v2/oauth2-provider/apps/{app}/secrets/{secret}': {
    parameters: [APP_ID, SECRET_ID],
    delete: {
      tags: ['apps'],
      summary: 'Delete a client secret (owner)',
      operationId: 'deleteAppSecret',
      security: apiKey(SCOPE_ALL),
      parameters: [
        queryParam(
          'revoke_tokens',
          { type: 'string', enum: ['true', 'false'] },
          'also revoke the tokens obtained with it',
        ),
      ],
      responses: {
        '204': noContent('Deleted.'),
        ...authErrors,
        '404': response('ApiNotFound'),
        '409': response('ApiConflict'),
        ...serverErrors,
      },
    },
  },
  '/.well-known/oauth-authorization-server': {
    get: {
      tags: ['metadata'],
      summary: 'RFC 8414 authorization server metadata',
      operationId: 'getAuthorizationServerMetadata',
      responses: { '200': ok('The metadata.', ref('AuthorizationServerMetadata')) },
    },
    options: preflight('CORS preflight'),
  },
  '/.well-known/openid-configuration': {
    get: {
      tags: ['metadata'],
      summary: 'OpenID Connect Discovery 1.0 provider metadata',
      operationId: 'getOpenIdConfiguration',
      responses: { '200': ok('The metadata.', ref('OpenIdConfiguration')) },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/jwks': {
    get: {
      tags: ['metadata'],
      summary: 'The signing keys (JWK Set)',
      operationId: 'getJwks',
      description:
        'Every published public key: the active ones, pre-published ones and retiring ones (docs/openid-connect.md#signing-keys). Cached for less than the pre-publish period.',
      responses: {
        '200': {
          description: 'The JWK Set.',
          content: { 'application/jwk-set+json': { schema: ref('JsonWebKeySet') } },
        },
        ...serverErrors,
      },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/userinfo': {
    get: {
      tags: ['oauth'],
      summary: 'OpenID Connect UserInfo',
      operationId: 'getUserInfo',
      security: apiKey('openid'),
      responses: { '200': ok('The claims.', ref('UserInfo')), ...authErrors, ...serverErrors },
    },
    post: {
      tags: ['oauth'],
      summary: 'OpenID Connect UserInfo (POST)',
      operationId: 'postUserInfo',
      security: apiKey('openid'),
      responses: { '200': ok('The claims.', ref('UserInfo')), ...authErrors, ...serverErrors },
    },
    options: preflight('CORS preflight'),
  },
  '/.well-known/oauth-protected-resource': {
    get: {
      tags: ['metadata'],
      summary: 'RFC 9728 protected resource metadata of the API',
      operationId: 'getProtectedResourceMetadata',
      responses: { '200': ok('The metadata.', ref('ProtectedResourceMetadata')) },
    },
    options: preflight('CORS preflight'),
  },
  [`/.well-known/oauth-protected-resource${MCP_PATH}`]: {
    get: {
      tags: ['metadata'],
      summary: 'RFC 9728 protected resource metadata of the MCP endpoint',
      operationId: 'getMcpProtectedResourceMetadata',
      responses: { '200': ok('The metadata.', ref('ProtectedResourceMetadata')) },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/tokens': {
    post: {
      tags: ['oauth'],
      summary: 'Token endpoint: authorization code, refresh token and client credentials grants',
      operationId: 'token',
      description: 'RFC 6749 §3.2 (docs/http-api.md#token). Rate limited per client IP and per client.',
      security: clientAuth,
      requestBody: formRequest('TokenRequest'),
      responses: {
        '200': ok('Tokens (RFC 6749 §5.1).', ref('TokenResponse'), { headers: noStoreHeaders }),
        ...oauthErrors,
        '429': response('OAuthTooManyRequests'),
      },
    },
    delete: {
      tags: ['oauth'],
      summary: 'Revoke every grant of the calling user to one client',
      operationId: 'revokeUserGrants',
      description: 'Errors here are API errors (docs/http-api.md#revoke-all).',
      security: apiKey(SCOPE_ALL),
      parameters: [
        {
          ...queryParam(
            'client_id',
            { anyOf: [UUID, { type: 'string', pattern: '^https://' }] },
            'the client: an app id, or a metadata document URL',
          ),
          required: true,
        },
      ],
      responses: {
        '204': noContent('Revoked (even when there was nothing to revoke).', { headers: noStoreHeaders }),
        ...authErrors,
        '404': response('ApiNotFound'),
        ...serverErrors,
      },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/revoke': {
    post: {
      tags: ['oauth'],
      summary: 'RFC 7009 token revocation',
      operationId: 'revoke',
      security: clientAuth,
      requestBody: formRequest('TokenInRequest'),
      responses: {
        '200': noContent('Revoked, unknown, or another client’s: nothing is revealed (RFC 7009 §2.2).', {
          headers: noStoreHeaders,
        }),
        ...oauthErrors,
      },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/introspect': {
    post: {
      tags: ['oauth'],
      summary: 'RFC 7662 token introspection (confidential clients)',
      operationId: 'introspect',
      security: clientAuth,
      requestBody: formRequest('TokenInRequest'),
      responses: {
        '200': ok('The token’s state.', ref('IntrospectionResponse'), { headers: noStoreHeaders }),
        ...oauthErrors,
      },
    },
  },
  '/oauth2/register': {
    post: {
      tags: ['registration'],
      summary: 'RFC 7591 dynamic client registration',
      operationId: 'register',
      description: 'Public, rate limited per client IP (IPv6: per /64); 404 while registration is disabled.',
      security: [{}],
      requestBody: jsonRequest('ClientMetadata'),
      responses: {
        '201': ok(
          'The registration, with the registration access token (and a secret for a confidential client).',
          ref('ClientRegistration'),
          {
            headers: noStoreHeaders,
          },
        ),
        '400': response('OAuthBadRequest'),
        '404': response('RouteNotFound'),
        ...registrationBodyErrors,
        '429': response('OAuthTooManyRequests'),
        '500': response('OAuthInternalError'),
        '503': response('OAuthUnavailable'),
      },
    },
    options: preflight('CORS preflight'),
  },
  '/oauth2/clients/{client_id}': {
    parameters: [CLIENT_ID],
    get: {
      tags: ['registration'],
      summary: 'RFC 7592 read a registration',
      operationId: 'getRegistration',
      security: [{ registrationAccessToken: [] }],
      responses: {
        '200': ok(
          'The registration, without the registration access token or secret.',
          ref('ClientRegistration'),
          {
            headers: noStoreHeaders,
          },
        ),
        '401': response('OAuthUnauthorized'),
        '404': response('RouteNotFound'),
        '500': response('OAuthInternalError'),
        '503': response('OAuthUnavailable'),
      },
    },
    put: {
      tags: ['registration'],
      summary: 'RFC 7592 replace a registration',
      operationId: 'updateRegistration',
      security: [{ registrationAccessToken: [] }],
      requestBody: jsonRequest('ClientMetadataUpdate'),
      responses: {
        '200': ok('The new registration.', ref('ClientRegistration'), { headers: noStoreHeaders }),
        '400': response('OAuthBadRequest'),
        '401': response('OAuthUnauthorized'),
        '404': response('RouteNotFound'),
        ...registrationBodyErrors,
        '500': response('OAuthInternalError'),
        '503': response('OAuthUnavailable'),
      },
    },
    delete: {
      tags: ['registration'],
      summary: 'RFC 7592 delete a registration with its secrets and tokens',
      operationId: 'deleteRegistration',
      security: [{ registrationAccessToken: [] }],
      responses: {
        '204': noContent('Deleted.', { headers: noStoreHeaders }),
        '401': response('OAuthUnauthorized'),
        '404': response('RouteNotFound'),
        '500': response('OAuthInternalError'),
        '503': response('OAuthUnavailable'),
      },
    },
  },
  '/oauth2/authorize': {
    get: page(
      'Authorization endpoint: the consent page (RFC 6749 §4.1.1)',
      {
        '200': 'HtmlPage',
        '302': 'Redirect',
        '303': 'Redirect',
        '400': 'PageOrApiError',
        '403': 'PageOrApiError',
      },
      {
        description:
          'Signed in by the session cookie only; 303 to `/login` when not. Errors the client may see are 302 redirects to its `redirect_uri` (docs/http-api.md#authorize).',
        security: [{ sessionCookie: [] }],
        parameters: [
          { ...queryParam('response_type', { const: 'code' }, 'RFC 6749 §4.1.1'), required: true },
          { ...queryParam('client_id', { type: 'string' }, 'a registered client'), required: true },
          queryParam('redirect_uri', { type: 'string' }, 'one of the client’s; optional when it has one'),
          queryParam('state', { type: 'string', maxLength: 1024 }, 'returned unchanged'),
          queryParam('scope', { type: 'string' }, 'space-separated'),
          {
            ...queryParam(
              'code_challenge',
              { type: 'string', pattern: '^[A-Za-z0-9._~-]{43,128}$' },
              'PKCE (RFC 7636)',
            ),
            required: true,
          },
          { ...queryParam('code_challenge_method', { const: 'S256' }, 'PKCE: S256 only'), required: true },
          queryParam('resource', { type: 'string' }, 'RFC 8707'),
          queryParam('nonce', { type: 'string' }, 'OpenID Connect Core §3.1.2.1: echoed in the ID token'),
          queryParam('prompt', { type: 'string' }, 'OpenID Connect: none, or login and/or consent'),
          queryParam('max_age', { type: 'string' }, 'OpenID Connect: seconds; an older sign-in is repeated'),
        ],
      },
    ),
    post: page(
      'The user’s decision on the consent page',
      { '302': 'Redirect', '303': 'Redirect', '400': 'PageOrApiError', '403': 'PageOrApiError' },
      { security: [{ sessionCookie: [] }], ...formPage },
    ),
  },
  ...consolePaths(),
  '/static/{file}': {
    get: {
      tags: ['pages'],
      summary:
        'The console\u2019s stylesheet and script (docs/http-api.md#console-security-and-accessibility)',
      parameters: [
        pathParam('file', { type: 'string' }, '`console.css` or `console.js`'),
        queryParam('v', { type: 'string' }, 'the content digest the pages link; with it, cached for a year'),
      ],
      responses: {
        '200': response('StaticFile'),
        '304': noContent('Not modified (`If-None-Match` named the current `ETag`).'),
        '404': response('PageNotFound'),
        ...serverErrors,
      },
    },
  },
  '/login': {
    get: page(
      'Sign-in form',
      { '200': 'HtmlPage', '303': 'Redirect' },
      {
        parameters: [
          queryParam('redirect', { type: 'string' }, 'a path on this server to go to afterwards'),
          queryParam(
            'prompt',
            { const: 'login' },
            'show the form even to a signed-in user (an authorization request asked for a new sign-in)',
          ),
        ],
      },
    ),
    post: page(
      'Sign in: sets the session cookie and redirects',
      { '303': 'Redirect', '400': 'PageOrApiError', '401': 'HtmlPage', '403': 'HtmlPage', '429': 'HtmlPage' },
      formPage,
    ),
  },
  '/setup': {
    get: page('Form that creates the first owner (only while no user exists)', {
      '200': 'HtmlPage',
      '404': 'HtmlPage',
    }),
    post: page(
      'Create the first owner and sign in',
      {
        '303': 'Redirect',
        '400': 'PageOrApiError',
        '401': 'HtmlPage',
        '403': 'HtmlPage',
        '404': 'HtmlPage',
        '409': 'HtmlPage',
        '429': 'HtmlPage',
      },
      formPage,
    ),
  },
  [MCP_PATH]: {
    post: {
      tags: ['mcp'],
      summary: 'MCP Streamable HTTP (stateless, JSON answers)',
      operationId: 'mcp',
      description:
        'Bearer token in the header only, scope `mcp` (docs/http-api.md#mcp). The JSON-RPC payloads are those of the MCP specification, served by its official SDK.',
      security: [{ sessionToken: [] }, { accessToken: [SCOPE_MCP] }],
      requestBody: { required: true, content: json(ref('JsonRpcPayload')) },
      responses: {
        '200': ok('The JSON-RPC answer.', ref('JsonRpcPayload')),
        '202': noContent('A notification or response was accepted.'),
        '400': {
          description: 'Not a valid JSON-RPC request.',
          content: json({ anyOf: [ref('JsonRpcMessage'), ref('ApiError')] }),
        },
        '401': response('ApiUnauthorized'),
        '403': { description: 'Wrong `Host`, or scope missing.', content: json(ref('ApiError')) },
        '406': {
          description: 'The `Accept` header must name `application/json` and `text/event-stream`.',
          content: json(ref('JsonRpcMessage')),
        },
        '413': {
          description: 'The body is too large.',
          content: json({ anyOf: [ref('JsonRpcMessage'), ref('ApiError')] }),
        },
        '415': {
          description: 'The body must be JSON.',
          content: json({ anyOf: [ref('JsonRpcMessage'), ref('ApiError')] }),
        },
        '500': {
          description: 'Unexpected failure.',
          content: json({ anyOf: [ref('JsonRpcMessage'), ref('ApiError')] }),
        },
        '503': response('ApiUnavailable'),
      },
    },
    get: {
      tags: ['mcp'],
      summary: 'No stream here: 401 challenge without a token, else 405',
      operationId: 'mcpGet',
      responses: {
        '401': response('ApiUnauthorized'),
        '403': { description: 'Wrong `Host`.', content: json(ref('ApiError')) },
        '405': response('McpMethodNotAllowed'),
        ...serverErrors,
      },
    },
    delete: {
      tags: ['mcp'],
      summary: 'No sessions here: 401 challenge without a token, else 405',
      operationId: 'mcpDelete',
      responses: {
        '401': response('ApiUnauthorized'),
        '403': { description: 'Wrong `Host`.', content: json(ref('ApiError')) },
        '405': response('McpMethodNotAllowed'),
        ...serverErrors,
      },
    },
    options: preflight('CORS preflight'),
  },
});

/**
 * The OpenAPI 3.1 document of this deployment: the same for every deployment but for the server
 * URL and the supported scopes.
 */
export const openApiDocument = (settings: OpenApiSettings): JsonObject => ({
  openapi: '3.1.0',
  info: {
    title: 'Latchkey',
    version: '0.1.0',
    summary: 'OAuth 2.1 authorization server: users, apps, tokens, registration, MCP',
    description:
      'The normative reference is docs/http-api.md in the repository; this document describes the same routes for tools. Responses never contain `null`; timestamps are RFC 3339 in UTC.',
  },
  servers: [{ url: settings.issuer }],
  tags: [
    { name: 'users' },
    { name: 'sessions' },
    { name: 'apps' },
    { name: 'audit' },
    { name: 'oauth' },
    { name: 'registration' },
    { name: 'metadata' },
    { name: 'mcp' },
    { name: 'health' },
    { name: 'pages', description: 'HTML pages, described by status and content type only.' },
    { name: 'cors' },
    { name: 'meta' },
  ],
  security: [],
  paths: paths(),
  components: {
    schemas: schemas(settings),
    responses: {
      ...responses,
      McpMethodNotAllowed: {
        description: 'Use POST: the endpoint is stateless.',
        headers: { Allow: { required: true, schema: { const: 'POST' } } },
        content: json(ref('ApiError')),
      },
    },
    headers,
    securitySchemes: securitySchemes(settings),
  },
});
