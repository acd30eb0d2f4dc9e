import { checkAuthorizeParams, MCP_PATH, type AuthorizeParams, type OAuthClient } from '@latchkey/domain';
import { aClient } from '../contract/fixtures.js';
import { testDomainSettings } from '../support/settings.js';
import { eachRow, type Expected } from './decision-table.js';

const settings = testDomainSettings();
const ISSUER = settings.issuer;
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A request that passes every check: each row changes what its rule is about. */
const VALID: AuthorizeParams = {
  response_type: ['code'],
  code_challenge: [CHALLENGE],
  code_challenge_method: ['S256'],
  state: ['st-1'],
};

const ownerApp = aClient(1);
const dcrClient = aClient(2, {
  dynamicallyRegistered: true,
  clientType: 'public',
  tokenEndpointAuthMethod: 'none',
});

interface Row {
  readonly rule: string;
  readonly params: AuthorizeParams;
  readonly client?: OAuthClient;
  readonly expected: Expected;
}

const without = (name: string): AuthorizeParams =>
  Object.fromEntries(Object.entries(VALID).filter(([key]) => key !== name));

/** `checkAuthorizeParams`, one row per rule of docs/http-api.md#authorize (step 4). */
const ROWS: Row[] = [
  {
    rule: 'a complete request is bound to the default scope and the issuer',
    params: VALID,
    expected: {
      right: {
        scopes: ['mcp', 'user:read'],
        resource: ISSUER,
        resourceRequested: false,
        codeChallenge: CHALLENGE,
        state: 'st-1',
      },
    },
  },
  {
    rule: 'resource given twice is invalid_target',
    params: { ...VALID, resource: [ISSUER, ISSUER] },
    expected: 'invalid_target',
  },
  ...['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method'].map((name) => ({
    rule: `${name} given twice is invalid_request`,
    params: { ...VALID, [name]: [VALID[name]?.[0] ?? 'mcp', VALID[name]?.[0] ?? 'mcp'] },
    expected: 'invalid_request',
  })),
  {
    rule: 'a missing response_type is invalid_request',
    params: without('response_type'),
    expected: 'invalid_request',
  },
  {
    rule: 'a response_type other than code is unsupported_response_type',
    params: { ...VALID, response_type: ['token'] },
    expected: 'unsupported_response_type',
  },
  {
    rule: 'a missing code_challenge is invalid_request (PKCE required)',
    params: without('code_challenge'),
    expected: 'invalid_request',
  },
  {
    rule: 'a malformed code_challenge is invalid_request',
    params: { ...VALID, code_challenge: ['too-short'] },
    expected: 'invalid_request',
  },
  {
    rule: 'a missing code_challenge_method is invalid_request (plain is implied and refused)',
    params: without('code_challenge_method'),
    expected: 'invalid_request',
  },
  {
    rule: 'code_challenge_method=plain is invalid_request',
    params: { ...VALID, code_challenge_method: ['plain'] },
    expected: 'invalid_request',
  },
  {
    rule: 'a scope beyond the client’s registered scope is invalid_scope',
    params: { ...VALID, scope: ['user:read'] },
    client: aClient(3, { scope: ['mcp'] }),
    expected: 'invalid_scope',
  },
  {
    rule: 'unsupported scope values are dropped, not refused',
    params: { ...VALID, scope: ['mcp their:own'] },
    expected: { right: { scopes: ['mcp'] } },
  },
  {
    rule: 'an owner-created app can be granted all',
    params: { ...VALID, scope: ['all'] },
    expected: { right: { scopes: ['all'] } },
  },
  {
    rule: 'a dynamically registered client never gets all: it is dropped like an unsupported value',
    params: { ...VALID, scope: ['all'] },
    client: dcrClient,
    expected: { right: { scopes: ['mcp', 'user:read'] } },
  },
  {
    rule: 'a resource this server does not serve is invalid_target',
    params: { ...VALID, resource: ['https://elsewhere.example.com'] },
    expected: 'invalid_target',
  },
  {
    rule: 'a resource that is not an absolute http(s) URI is invalid_target',
    params: { ...VALID, resource: ['urn:example:resource'] },
    expected: 'invalid_target',
  },
  {
    rule: 'the MCP endpoint is a resource, bound after normalisation',
    params: { ...VALID, resource: [`${ISSUER.toUpperCase()}${MCP_PATH}/`] },
    expected: { right: { resource: `${ISSUER}${MCP_PATH}`, resourceRequested: true } },
  },
  {
    rule: 'the state goes back with an error',
    params: { ...VALID, response_type: ['token'] },
    expected: { left: 'unsupported_response_type', including: { state: 'st-1' } },
  },
];

describe('checkAuthorizeParams: the errors sent back to the client (docs/http-api.md#authorize)', () => {
  eachRow(ROWS, (row) => checkAuthorizeParams(row.params, row.client ?? ownerApp, settings));
});
