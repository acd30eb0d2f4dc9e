import {
  checkCodeRequest,
  type AuthenticatedClient,
  type AuthorizationCode,
  type AuthorizationCodeGrant,
  type UserId,
} from '@latchkey/domain';
import { aClient, aCode, aGrant, at, uuid } from '../contract/fixtures.js';
import { eachRow, type Expected } from './decision-table.js';

/** RFC 7636 Appendix B: this verifier's S256 challenge is the one `aCode` carries. */
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const ISSUER = 'https://latchkey.example.com';
const MCP = `${ISSUER}/api/experimental/mcp/http`;

const client = aClient(1);
const caller: AuthenticatedClient = { client, method: 'client_secret_basic' };
const grant = aGrant(1, client.id, uuid(1) as UserId, { resource: ISSUER });
/** Fixed clock: 30 s after the code was issued, within its 60 s. */
const NOW = at(30);

interface Row {
  readonly rule: string;
  readonly code?: Partial<AuthorizationCode> | 'unknown';
  readonly params?: Partial<AuthorizationCodeGrant>;
  readonly expected: Expected;
}

const request = (params: Partial<AuthorizationCodeGrant> = {}): AuthorizationCodeGrant => ({
  grantType: 'authorization_code',
  code: 'lk_code_presented',
  codeVerifier: VERIFIER,
  ...params,
});

/** `checkCodeRequest`, one row per rule of docs/http-api.md#token (authorization code grant). */
const ROWS: Row[] = [
  {
    rule: 'redeems a live code of this client with its verifier',
    expected: { right: { id: aCode(1, grant).id } },
  },
  { rule: 'an unknown code is invalid_grant', code: 'unknown', expected: 'invalid_grant' },
  {
    rule: 'a code issued to another client is invalid_grant',
    code: { clientId: aClient(2).id },
    expected: 'invalid_grant',
  },
  {
    rule: 'a missing code_verifier is invalid_grant, not invalid_request',
    params: { codeVerifier: undefined },
    expected: 'invalid_grant',
  },
  {
    rule: 'a wrong code_verifier is invalid_grant',
    params: { codeVerifier: 'x'.repeat(43) },
    expected: 'invalid_grant',
  },
  {
    rule: 'the challenge itself as the verifier is invalid_grant',
    params: { codeVerifier: aCode(1, grant).codeChallenge },
    expected: 'invalid_grant',
  },
  {
    rule: 'a redirect_uri other than the one sent at authorize is invalid_grant',
    params: { redirectUri: 'https://app.example.com/other' },
    expected: 'invalid_grant',
  },
  {
    rule: 'the redirect_uri sent at authorize is accepted',
    params: { redirectUri: 'https://app.example.com/callback' },
    expected: { right: { redirectUri: 'https://app.example.com/callback' } },
  },
  {
    rule: 'a resource requested at authorize must be presented again',
    code: { resourceRequested: true, resource: MCP },
    expected: 'invalid_target',
  },
  {
    rule: 'a resource other than the one requested at authorize is invalid_target',
    code: { resourceRequested: true, resource: MCP },
    params: { resource: ISSUER },
    expected: 'invalid_target',
  },
  {
    rule: 'the requested resource is compared after normalisation',
    code: { resourceRequested: true, resource: MCP },
    params: { resource: 'HTTPS://Latchkey.Example.COM:443/api/experimental/mcp/http/' },
    expected: { right: { resource: MCP } },
  },
  {
    rule: 'a resource when none was requested at authorize is invalid_target',
    params: { resource: ISSUER },
    expected: 'invalid_target',
  },
  { rule: 'an expired code is invalid_grant', code: { expiresAt: NOW }, expected: 'invalid_grant' },
  {
    rule: 'a consumed code passes, even expired, so that its replay is detected and revokes the grant',
    code: { consumedAt: at(10), expiresAt: at(20) },
    expected: { right: { consumedAt: at(10) } },
  },
  {
    rule: 'the verifier is checked before the resource',
    code: { resourceRequested: true, resource: MCP },
    params: { codeVerifier: 'x'.repeat(43), resource: ISSUER },
    expected: 'invalid_grant',
  },
  {
    rule: 'the resource is checked before expiry',
    code: { expiresAt: NOW },
    params: { resource: ISSUER },
    expected: 'invalid_target',
  },
];

describe('checkCodeRequest: the checks before a code is touched (docs/http-api.md#token)', () => {
  eachRow(ROWS, (row) => {
    const code = row.code === 'unknown' ? undefined : aCode(1, grant, row.code ?? {});
    return checkCodeRequest(caller, request(row.params), code, NOW);
  });
});
