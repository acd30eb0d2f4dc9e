import { decodeRegistration, decodeRegistrationUpdate } from '@latchkey/adapters-http';
import { eachNestedRow, type Expected } from './decision-table.js';

const CB = 'https://client.example.com/cb';

interface Row {
  readonly rule: string;
  readonly body: unknown;
  /** The outer result: not an object, or a redirect_uris of the wrong type; else the URIs. */
  readonly expected: Expected;
  /** The other fields, decoded apart, when the outer result is `Right`. */
  readonly nested?: Expected;
  /** Decode as a PUT to the client configuration endpoint (RFC 7592 §2.2). */
  readonly update?: true;
}

/** The RFC 7591 §2 metadata codec: spelling and JSON types only (docs/http-api.md#registration). */
const ROWS: Row[] = [
  {
    rule: 'a JSON list is not client metadata',
    body: [{ redirect_uris: [CB] }],
    expected: 'invalid_client_metadata',
  },
  {
    rule: 'a JSON string is not client metadata',
    body: 'redirect_uris',
    expected: 'invalid_client_metadata',
  },
  { rule: 'JSON null is not client metadata', body: null, expected: 'invalid_client_metadata' },
  {
    rule: 'a missing redirect_uris is invalid_redirect_uri',
    body: { client_name: 'x' },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'a null redirect_uris is invalid_redirect_uri',
    body: { redirect_uris: null },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'redirect_uris as a string is invalid_redirect_uri',
    body: { redirect_uris: CB },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'a redirect URI that is not a string is invalid_redirect_uri',
    body: { redirect_uris: [CB, 42] },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'an empty redirect_uris decodes: whether it is allowed is the domain’s rule',
    body: { redirect_uris: [] },
    expected: { right: { redirectUris: [] } },
    nested: { right: {} },
  },
  {
    rule: 'a redirect URI problem comes before a field of the wrong type',
    body: { redirect_uris: 'x', client_name: 42 },
    expected: 'invalid_redirect_uri',
  },
  {
    rule: 'snake_case fields get their camelCase names',
    body: {
      redirect_uris: [CB],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      client_uri: 'https://client.example.com',
      logo_uri: 'https://client.example.com/logo.png',
      tos_uri: 'https://client.example.com/tos',
      policy_uri: 'https://client.example.com/policy',
      jwks: { keys: [] },
      application_type: 'native',
      client_name: 'Client',
      contacts: ['ops@client.example.com'],
      scope: 'mcp',
      software_id: 'sw',
      software_version: '1.0',
    },
    expected: { right: { redirectUris: [CB] } },
    nested: {
      right: {
        grantTypes: ['authorization_code'],
        responseTypes: ['code'],
        tokenEndpointAuthMethod: 'none',
        clientUri: 'https://client.example.com',
        logoUri: 'https://client.example.com/logo.png',
        tosUri: 'https://client.example.com/tos',
        policyUri: 'https://client.example.com/policy',
        jwks: { keys: [] },
        applicationType: 'native',
        clientName: 'Client',
        contacts: ['ops@client.example.com'],
        scope: 'mcp',
        softwareId: 'sw',
        softwareVersion: '1.0',
      },
    },
  },
  ...[
    'token_endpoint_auth_method',
    'client_uri',
    'logo_uri',
    'tos_uri',
    'policy_uri',
    'jwks_uri',
    'application_type',
    'client_name',
    'scope',
    'software_id',
    'software_version',
  ].map((name) => ({
    rule: `${name} that is not a string is invalid_client_metadata`,
    body: { redirect_uris: [CB], [name]: 42 },
    expected: { right: { redirectUris: [CB] } },
    nested: 'invalid_client_metadata',
  })),
  ...['grant_types', 'response_types', 'contacts'].flatMap((name) => [
    {
      rule: `${name} as a string is invalid_client_metadata`,
      body: { redirect_uris: [CB], [name]: 'code' },
      expected: { right: { redirectUris: [CB] } },
      nested: 'invalid_client_metadata',
    },
    {
      rule: `${name} holding a number is invalid_client_metadata`,
      body: { redirect_uris: [CB], [name]: ['code', 1] },
      expected: { right: { redirectUris: [CB] } },
      nested: 'invalid_client_metadata',
    },
  ]),
  {
    rule: 'jwks that is not a JSON object is invalid_client_metadata',
    body: { redirect_uris: [CB], jwks: [{ kty: 'RSA' }] },
    expected: { right: { redirectUris: [CB] } },
    nested: 'invalid_client_metadata',
  },
  {
    rule: 'an empty string in a string field counts as omitted',
    body: { redirect_uris: [CB], client_name: '', scope: '', token_endpoint_auth_method: '' },
    expected: { right: { redirectUris: [CB] } },
    nested: { right: { clientName: undefined, scope: undefined, tokenEndpointAuthMethod: undefined } },
  },
  {
    rule: 'null counts as omitted',
    body: { redirect_uris: [CB], grant_types: null, jwks: null, client_uri: null },
    expected: { right: { redirectUris: [CB] } },
    nested: { right: { grantTypes: undefined, jwks: undefined, clientUri: undefined } },
  },
  {
    rule: 'unknown fields are ignored (RFC 7591 §2)',
    body: { redirect_uris: [CB], frobnicate: 42, client_id: 42 },
    expected: { right: { redirectUris: [CB] } },
    nested: { right: {} },
  },
  {
    rule: 'an update carries client_id and client_secret',
    update: true,
    body: { redirect_uris: [CB], client_id: 'id-1', client_secret: 'lk_cs_x' },
    expected: { right: { redirectUris: [CB] } },
    nested: { right: { clientId: 'id-1', clientSecret: 'lk_cs_x' } },
  },
  {
    rule: 'an update’s client_id that is not a string is invalid_client_metadata',
    update: true,
    body: { redirect_uris: [CB], client_id: 42 },
    expected: { right: { redirectUris: [CB] } },
    nested: 'invalid_client_metadata',
  },
  {
    rule: 'an update’s client_secret that is not a string is invalid_client_metadata',
    update: true,
    body: { redirect_uris: [CB], client_secret: 42 },
    expected: { right: { redirectUris: [CB] } },
    nested: 'invalid_client_metadata',
  },
  {
    rule: 'an update’s empty client_secret counts as omitted',
    update: true,
    body: { redirect_uris: [CB], client_secret: '' },
    expected: { right: { redirectUris: [CB] } },
    nested: { right: { clientSecret: undefined } },
  },
];

describe('the RFC 7591 client metadata codec (docs/http-api.md#registration)', () => {
  eachNestedRow(
    ROWS,
    (row) => (row.update === true ? decodeRegistrationUpdate : decodeRegistration)(row.body),
    (decoded) => decoded.fields,
  );
});
