import { decodeTokenGrant } from '@latchkey/adapters-http';
import { permittedGrant, type GrantType } from '@latchkey/domain';
import { aClient } from '../contract/fixtures.js';
import { eachNestedRow, eachRow, type Expected } from './decision-table.js';

/** Form parameters as `singleParams` leaves them: one value each, empty ones dropped, no prototype. */
const form = (params: Record<string, string>): Record<string, string> =>
  Object.assign(Object.create(null) as Record<string, string>, params);

const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

interface DecodeRow {
  readonly rule: string;
  readonly params: Record<string, string>;
  /** The outer result: `grant_type` missing or unknown, or the grant type found. */
  readonly expected: Expected;
  /** The grant's own parameters, when the grant type was found. */
  readonly nested?: Expected;
}

/** `decodeTokenGrant`: the wire of docs/http-api.md#token ("Order of checks", grants). */
const DECODE: DecodeRow[] = [
  { rule: 'a missing grant_type is invalid_request', params: { code: 'c' }, expected: 'invalid_request' },
  ...['password', 'implicit', 'urn:ietf:params:oauth:grant-type:device_code'].map((grantType) => ({
    rule: `grant_type=${grantType} is unsupported_grant_type`,
    params: { grant_type: grantType, code: 'c' },
    expected: 'unsupported_grant_type',
  })),
  {
    rule: 'authorization_code without code: the grant type is known, its parameters are invalid_request',
    params: { grant_type: 'authorization_code', code_verifier: VERIFIER },
    expected: { right: { grantType: 'authorization_code' } },
    nested: 'invalid_request',
  },
  {
    rule: 'authorization_code without code_verifier decodes: the domain makes it invalid_grant',
    params: { grant_type: 'authorization_code', code: 'lk_code_x' },
    expected: { right: { grantType: 'authorization_code' } },
    nested: { right: { grantType: 'authorization_code', code: 'lk_code_x', codeVerifier: undefined } },
  },
  {
    rule: 'authorization_code parameters are given their camelCase names',
    params: {
      grant_type: 'authorization_code',
      code: 'lk_code_x',
      code_verifier: VERIFIER,
      redirect_uri: 'https://app.example.com/cb',
      resource: 'https://latchkey.example.com',
    },
    expected: { right: { grantType: 'authorization_code' } },
    nested: {
      right: {
        code: 'lk_code_x',
        codeVerifier: VERIFIER,
        redirectUri: 'https://app.example.com/cb',
        resource: 'https://latchkey.example.com',
      },
    },
  },
  {
    rule: 'client_credentials parameters are given their camelCase names, and none is required',
    params: { grant_type: 'client_credentials', scope: 'reports:read', resource: 'https://r.example' },
    expected: { right: { grantType: 'client_credentials' } },
    nested: {
      right: { grantType: 'client_credentials', scope: 'reports:read', resource: 'https://r.example' },
    },
  },
  {
    rule: 'refresh_token without refresh_token: its parameters are invalid_request',
    params: { grant_type: 'refresh_token', scope: 'mcp' },
    expected: { right: { grantType: 'refresh_token' } },
    nested: 'invalid_request',
  },
  {
    rule: 'refresh_token parameters are given their camelCase names',
    params: {
      grant_type: 'refresh_token',
      refresh_token: 'lk_rt_x',
      scope: 'mcp',
      resource: 'https://r.example',
    },
    expected: { right: { grantType: 'refresh_token' } },
    nested: {
      right: {
        grantType: 'refresh_token',
        refreshToken: 'lk_rt_x',
        scope: 'mcp',
        resource: 'https://r.example',
      },
    },
  },
  {
    rule: 'parameters named like inherited properties are ignored like any unknown one',
    params: { grant_type: 'refresh_token', refresh_token: 'lk_rt_x', toString: 'x', constructor: 'y' },
    expected: { right: { grantType: 'refresh_token' } },
    nested: { right: { grantType: 'refresh_token', refreshToken: 'lk_rt_x' } },
  },
];

interface PermitRow {
  readonly rule: string;
  readonly registered: readonly GrantType[];
  readonly params: Record<string, string>;
  readonly expected: Expected;
}

/** `permittedGrant`: what the client registered, decided before the grant's parameters. */
const PERMIT: PermitRow[] = [
  {
    rule: 'a registered grant type yields the decoded grant',
    registered: ['authorization_code', 'refresh_token'],
    params: { grant_type: 'refresh_token', refresh_token: 'lk_rt_x' },
    expected: { right: { grantType: 'refresh_token', refreshToken: 'lk_rt_x' } },
  },
  {
    rule: 'a grant type the client did not register is unauthorized_client',
    registered: ['authorization_code'],
    params: { grant_type: 'refresh_token', refresh_token: 'lk_rt_x' },
    expected: 'unauthorized_client',
  },
  {
    rule: 'unauthorized_client comes before a missing parameter of that grant',
    registered: ['authorization_code'],
    params: { grant_type: 'refresh_token' },
    expected: 'unauthorized_client',
  },
  {
    rule: 'a missing parameter of a registered grant is invalid_request',
    registered: ['authorization_code', 'refresh_token'],
    params: { grant_type: 'authorization_code' },
    expected: 'invalid_request',
  },
  {
    rule: 'an unknown grant_type stays unsupported_grant_type',
    registered: ['authorization_code'],
    params: { grant_type: 'password' },
    expected: 'unsupported_grant_type',
  },
];

describe('the grant of a token request (docs/http-api.md#token)', () => {
  describe('decodeTokenGrant (the wire)', () => {
    eachNestedRow(
      DECODE,
      (row) => decodeTokenGrant(form(row.params)),
      (requested) => requested.params,
    );
  });

  describe('permittedGrant (the rule)', () => {
    eachRow(PERMIT, (row) =>
      permittedGrant(
        { client: aClient(1, { grantTypes: row.registered }), method: 'client_secret_basic' },
        decodeTokenGrant(form(row.params)),
      ),
    );
  });
});
