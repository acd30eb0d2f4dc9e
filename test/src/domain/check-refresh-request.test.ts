import {
  checkRefreshRequest,
  type AuthenticatedClient,
  type RefreshToken,
  type RefreshTokenGrant,
  type UserId,
} from '@latchkey/domain';
import { aClient, aGrant, aRefreshToken, at, uuid } from '../contract/fixtures.js';
import { eachRow, type Expected } from './decision-table.js';

const ISSUER = 'https://latchkey.example.com';

const client = aClient(1);
const caller: AuthenticatedClient = { client, method: 'client_secret_basic' };
const grant = aGrant(1, client.id, uuid(1) as UserId, { scopes: ['mcp', 'user:read'], resource: ISSUER });
/** Fixed clock: one day into the refresh token's 30 days. */
const NOW = at(86_400);

interface Row {
  readonly rule: string;
  readonly token?: Partial<RefreshToken> | 'unknown';
  readonly params?: Partial<RefreshTokenGrant>;
  readonly expected: Expected;
}

/** `checkRefreshRequest`, one row per rule of docs/http-api.md#token (refresh token grant). */
const ROWS: Row[] = [
  {
    rule: 'refreshes a live token of this client with the scope it was granted',
    expected: { right: { scopes: ['mcp', 'user:read'] } },
  },
  { rule: 'an unknown refresh token is invalid_grant', token: 'unknown', expected: 'invalid_grant' },
  {
    rule: 'a refresh token of another client is invalid_grant',
    token: { clientId: aClient(2).id },
    expected: 'invalid_grant',
  },
  {
    rule: 'a revoked refresh token is invalid_grant',
    token: { revokedAt: at(60) },
    expected: 'invalid_grant',
  },
  { rule: 'an expired refresh token is invalid_grant', token: { expiresAt: NOW }, expected: 'invalid_grant' },
  {
    rule: 'a scope beyond the one granted is invalid_scope',
    params: { scope: 'mcp all' },
    expected: 'invalid_scope',
  },
  {
    rule: 'a subset of the granted scope narrows the access token',
    params: { scope: 'mcp' },
    expected: { right: { scopes: ['mcp'] } },
  },
  {
    rule: 'a resource other than the bound one is invalid_target',
    params: { resource: `${ISSUER}/elsewhere` },
    expected: 'invalid_target',
  },
  {
    rule: 'a resource that is not an absolute http(s) URI is invalid_target',
    params: { resource: 'urn:example:resource' },
    expected: 'invalid_target',
  },
  {
    rule: 'the bound resource is compared after normalisation',
    params: { resource: 'HTTPS://LATCHKEY.example.com:443/' },
    expected: { right: { scopes: ['mcp', 'user:read'] } },
  },
  {
    rule: 'the token is checked before the scope',
    token: { revokedAt: at(60) },
    params: { scope: 'all' },
    expected: 'invalid_grant',
  },
  {
    rule: 'the scope is checked before the resource',
    params: { scope: 'all', resource: `${ISSUER}/elsewhere` },
    expected: 'invalid_scope',
  },
];

describe('checkRefreshRequest: the checks before a refresh token is touched (docs/http-api.md#token)', () => {
  eachRow(ROWS, (row) => {
    const token = row.token === 'unknown' ? undefined : aRefreshToken(1, grant, row.token ?? {});
    const params: RefreshTokenGrant = { grantType: 'refresh_token', refreshToken: 'lk_rt_x', ...row.params };
    return checkRefreshRequest(caller, params, token, NOW);
  });
});
