import {
  checkRegistration,
  checkRegistrationUpdate,
  MAX_REGISTERED_REDIRECT_URIS,
  oauthError,
  registrableScope,
  type CheckedUpdate,
  type ClientUpdateFields,
  type OAuthClient,
  type RegistrationRequest,
} from '@latchkey/domain';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import { aClient } from '../contract/fixtures.js';
import { eachRow, type Expected } from './decision-table.js';

const CB = 'https://client.example.com/cb';

interface Row {
  readonly rule: string;
  readonly redirectUris?: readonly string[];
  /** The decoded fields; a string is a decoding failure of that code. */
  readonly fields?: ClientUpdateFields | 'invalid_client_metadata';
  readonly expected: Expected;
}

const request = (row: Row): RegistrationRequest<ClientUpdateFields> => ({
  redirectUris: row.redirectUris ?? [CB],
  fields:
    typeof row.fields === 'string'
      ? E.left(oauthError(row.fields, 'a field of the wrong type'))
      : E.right(row.fields ?? {}),
});

/** `checkRegistration`, one row per rule of docs/http-api.md#registration ("Request"), in its order. */
const RULES: Row[] = [
  {
    rule: 'the defaults: both grant types, code, client_secret_basic',
    expected: {
      right: {
        redirectUris: [CB],
        grantTypes: ['authorization_code', 'refresh_token'],
        responseTypes: ['code'],
        tokenEndpointAuthMethod: 'client_secret_basic',
        authMethodGiven: false,
        metadata: {},
      },
    },
  },
  {
    rule: '1. an empty redirect_uris is invalid_redirect_uri',
    redirectUris: [],
    expected: 'invalid_redirect_uri',
  },
  {
    rule: `1. more than ${MAX_REGISTERED_REDIRECT_URIS} redirect URIs is invalid_redirect_uri`,
    redirectUris: Array.from({ length: MAX_REGISTERED_REDIRECT_URIS + 1 }, (_, i) => `${CB}${i}`),
    expected: 'invalid_redirect_uri',
  },
  ...[
    ['http on a public host', 'http://client.example.com/cb'],
    ['a fragment', `${CB}#frag`],
    ['a javascript: URI', 'javascript:alert(1)'],
    ['a URN', 'urn:ietf:wg:oauth:2.0:oob'],
    ['a relative reference', '/cb'],
    ['characters RFC 3986 forbids (")', `${CB}?x="1"`],
    ['characters RFC 3986 forbids (<>)', `${CB}<script>`],
    ['a backslash', 'https://client.example.com\\@evil.example/cb'],
    ['a non-ASCII character', 'https://client.example.com/cb/ü'],
    ['a % that starts no percent-encoding', `${CB}?x=%zz`],
    ['brackets outside the host', `${CB}?x[]=1`],
    ['braces', `${CB}?x={1}`],
  ].map(([what, uri]) => ({
    rule: `1. a redirect URI with ${what ?? ''} is invalid_redirect_uri`,
    redirectUris: [CB, uri ?? ''],
    expected: 'invalid_redirect_uri',
  })),
  ...[
    ['http on loopback', 'http://127.0.0.1:8123/cb'],
    ['a private-use scheme', 'com.example.app:/cb'],
    ['an IPv6 loopback host in brackets', 'http://[::1]:8123/cb'],
    ['percent-encoded characters and sub-delims', `${CB}?q=%22%3C%3E&s=!$'()*+,;=:@/?`],
  ].map(([what, uri]) => ({
    rule: `1. a redirect URI with ${what ?? ''} is registered`,
    redirectUris: [uri ?? ''],
    expected: { right: { redirectUris: [uri] } },
  })),
  {
    rule: '1. a redirect URI problem comes before a field of the wrong type',
    redirectUris: ['javascript:alert(1)'],
    fields: 'invalid_client_metadata',
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'a field of the wrong type is invalid_client_metadata once the redirect URIs pass',
    fields: 'invalid_client_metadata',
    expected: 'invalid_client_metadata',
  },
  {
    rule: '2. grant_types without authorization_code is invalid_client_metadata',
    fields: { grantTypes: ['refresh_token'] },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '2. grant_types with another grant is invalid_client_metadata',
    fields: { grantTypes: ['authorization_code', 'client_credentials'] },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '2. grant_types are kept once each',
    fields: { grantTypes: ['authorization_code', 'authorization_code'] },
    expected: { right: { grantTypes: ['authorization_code'] } },
  },
  {
    rule: '3. response_types other than code is invalid_client_metadata',
    fields: { responseTypes: ['code', 'token'] },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '4. an unsupported token_endpoint_auth_method is invalid_client_metadata',
    fields: { tokenEndpointAuthMethod: 'private_key_jwt' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '4. a named method is taken, and known to be named',
    fields: { tokenEndpointAuthMethod: 'none' },
    expected: { right: { tokenEndpointAuthMethod: 'none', authMethodGiven: true } },
  },
  ...(['clientUri', 'logoUri', 'tosUri', 'policyUri', 'jwksUri'] as const).flatMap((name) => [
    {
      rule: `5. ${name} that is not an absolute http(s) URL is invalid_client_metadata`,
      fields: { [name]: 'ftp://files.example.com/x' },
      expected: 'invalid_client_metadata',
    },
    {
      rule: `5. ${name} as an https URL is kept`,
      fields: { [name]: 'https://client.example.com/x' },
      expected: { right: { metadata: { [name]: 'https://client.example.com/x' } } },
    },
  ]),
  {
    rule: '6. jwks and jwks_uri together is invalid_client_metadata',
    fields: { jwks: { keys: [] }, jwksUri: 'https://client.example.com/jwks' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '7. an application_type other than web or native is invalid_client_metadata',
    fields: { applicationType: 'desktop' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '8. a client_name over 256 characters is invalid_client_metadata',
    fields: { clientName: 'n'.repeat(257) },
    expected: 'invalid_client_metadata',
  },
  {
    rule: '8. a client_name of 256 characters is kept',
    fields: { clientName: 'n'.repeat(256) },
    expected: { right: { metadata: { clientName: 'n'.repeat(256) } } },
  },
  {
    rule: 'an empty contacts list is left out',
    fields: { contacts: [] },
    expected: { right: { metadata: {} } },
  },
  {
    rule: 'the first failure wins: grant_types before client_name',
    fields: { grantTypes: ['implicit'], clientName: 'n'.repeat(257) },
    expected: 'invalid_client_metadata',
  },
];

const confidentialDcr = aClient(1, { dynamicallyRegistered: true });
const publicDcr = aClient(2, {
  dynamicallyRegistered: true,
  clientType: 'public',
  tokenEndpointAuthMethod: 'none',
});

interface UpdateRow extends Row {
  readonly current: OAuthClient;
}

/** `checkRegistrationUpdate`: the rules of a PUT that need no storage (RFC 7592 §2.2). */
const UPDATES: UpdateRow[] = [
  {
    rule: 'an update is checked like a registration first',
    current: confidentialDcr,
    redirectUris: [],
    fields: { clientId: aClient(9).id },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'a client_id of another client is invalid_client_metadata',
    current: confidentialDcr,
    fields: { clientId: aClient(9).id },
    expected: 'invalid_client_metadata',
  },
  {
    rule: 'an empty client_id does not name this client',
    current: confidentialDcr,
    fields: { clientId: '' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: 'this client’s own client_id is accepted',
    current: confidentialDcr,
    fields: { clientId: confidentialDcr.id },
    expected: { right: { tokenEndpointAuthMethod: 'client_secret_basic' } },
  },
  {
    rule: 'an omitted method keeps the current one',
    current: publicDcr,
    expected: { right: { tokenEndpointAuthMethod: 'none' } },
  },
  {
    rule: 'a public client cannot move to a secret method',
    current: publicDcr,
    fields: { tokenEndpointAuthMethod: 'client_secret_basic' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: 'a confidential client cannot move to none',
    current: confidentialDcr,
    fields: { tokenEndpointAuthMethod: 'none' },
    expected: 'invalid_client_metadata',
  },
  {
    rule: 'a confidential client may move between the secret methods',
    current: confidentialDcr,
    fields: { tokenEndpointAuthMethod: 'client_secret_post' },
    expected: { right: { tokenEndpointAuthMethod: 'client_secret_post' } },
  },
  {
    rule: 'a presented client_secret is handed on to be checked against storage',
    current: confidentialDcr,
    fields: { clientSecret: 'lk_cs_x' },
    expected: { right: { clientSecret: 'lk_cs_x' } },
  },
];

const scopeSettings = {
  supportedScopes: ['all', 'user:read', 'mcp', 'extra'],
  dcrScopes: ['mcp', 'user:read', 'all'],
};

/** `registrableScope`: DCR scope capping (docs/http-api.md#registration, "Scope of a registered client"). */
const SCOPES: { rule: string; requested: string | undefined; kept: string[] }[] = [
  {
    rule: 'supported values inside LATCHKEY_DCR_SCOPES are kept',
    requested: 'mcp user:read',
    kept: ['mcp', 'user:read'],
  },
  { rule: 'unsupported values are dropped, not refused', requested: 'mcp their:own', kept: ['mcp'] },
  {
    rule: 'supported values outside LATCHKEY_DCR_SCOPES are dropped',
    requested: 'extra user:read',
    kept: ['user:read'],
  },
  { rule: 'all is dropped even where the DCR list names it', requested: 'all mcp', kept: ['mcp'] },
  { rule: 'an omitted scope is no scope', requested: undefined, kept: [] },
];

describe('registration rules (docs/http-api.md#registration)', () => {
  describe('checkRegistration', () => {
    eachRow(RULES, (row) =>
      E.map((c: { registration: object }) => c.registration)(checkRegistration(request(row))),
    );
  });

  describe('checkRegistrationUpdate', () => {
    // The registration as it would be stored, and the secret handed on to be checked.
    eachRow(UPDATES, (row) =>
      E.map((u: CheckedUpdate) => ({ ...u.registration, clientSecret: u.clientSecret }))(
        checkRegistrationUpdate(row.current, request(row)),
      ),
    );
  });

  describe('registrableScope', () => {
    for (const row of SCOPES) {
      it(row.rule, () => {
        expect(registrableScope(row.requested, scopeSettings)).to.deep.equal(row.kept);
      });
    }
  });
});
