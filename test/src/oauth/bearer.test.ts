import { expect } from 'chai';
import { bearer, MEMBER, request } from '../support/server.js';
import {
  addMember,
  challengeOf,
  createClient,
  exchange,
  expectOAuthError,
  expectTokens,
  MCP_PATH,
  me,
  meStatus,
  obtainCode,
  obtainTokens,
  refresh,
  revoke,
  sessionCookie,
  describeOnEachStorage,
  withSecret,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

describeOnEachStorage('access tokens at the resource server (docs/http-api.md#bearer-tokens)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  it('reads /api/v2/users/me with scope user:read', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read' } });
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
  });

  it('accepts the Bearer scheme in any case', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read' } });
    const response = await request(`${h.url}/api/v2/users/me`, {
      headers: { Authorization: `bEaReR ${tokens.access_token}` },
    });
    expect(response.status).to.equal(200);
  });

  it('answers a token without user:read with 403 insufficient_scope naming user:read', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'mcp' } });
    const response = await me(h.url, tokens.access_token);
    expect(response.status).to.equal(403);
    const challenge = challengeOf(response.headers.get('www-authenticate'));
    expect(challenge.scheme).to.equal('Bearer');
    expect(challenge.params).to.include({ error: 'insufficient_scope', scope: 'user:read' });
    expect(challenge.params.resource_metadata).to.equal(`${h.url}/.well-known/oauth-protected-resource`);
  });

  it('lets a token with scope all read /users/me and owner routes', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    const audit = await request(`${h.url}/api/v2/audit-logs`, { headers: bearer(tokens.access_token) });
    expect(audit.status).to.equal(200);
  });

  it('answers an owner route with 403 insufficient_scope scope="all" for a user:read token', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read' } });
    const response = await request(`${h.url}/api/v2/audit-logs`, { headers: bearer(tokens.access_token) });
    expect(response.status).to.equal(403);
    expect(challengeOf(response.headers.get('www-authenticate')).params).to.include({
      error: 'insufficient_scope',
      scope: 'all',
    });
  });

  it('answers a token bound to the MCP endpoint with 401 invalid_token on /api/v2/users/me', async () => {
    const resource = `${h.url}${MCP_PATH}`;
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read mcp', resource } });
    const response = await me(h.url, tokens.access_token);
    expect(response.status).to.equal(401);
    const challenge = challengeOf(response.headers.get('www-authenticate'));
    expect(challenge.scheme).to.equal('Bearer');
    expect(challenge.params).to.include({ realm: 'latchkey', error: 'invalid_token' });
  });

  it('checks the audience before the scope: an MCP-bound mcp-only token gets 401, not 403', async () => {
    const tokens = await obtainTokens(h, client, {
      params: { scope: 'mcp', resource: `${h.url}${MCP_PATH}` },
    });
    const response = await me(h.url, tokens.access_token);
    expect(response.status).to.equal(401);
    expect(challengeOf(response.headers.get('www-authenticate')).params.error).to.equal('invalid_token');
  });

  it('answers a token bound to a LATCHKEY_ALLOWED_RESOURCES resource with 401 on the API', async () => {
    const other = await storage.start({ LATCHKEY_ALLOWED_RESOURCES: 'https://api.example.com' });
    try {
      const otherClient = await createClient(other);
      const tokens = await obtainTokens(other, otherClient, {
        params: { scope: 'user:read', resource: 'https://api.example.com' },
      });
      expect(await meStatus(other.url, tokens.access_token)).to.equal(401);
    } finally {
      await other.server.stop();
    }
  });

  it('acts as the user who consented', async () => {
    const memberSession = await addMember(h);
    const tokens = await obtainTokens(h, client, { session: memberSession, params: { scope: 'user:read' } });
    const response = await me(h.url, tokens.access_token);
    expect(response.status).to.equal(200);
    expect(response.body).to.include({ username: MEMBER.username, role: 'member' });
  });

  it('answers a member’s all-scoped token on an owner route with 403 and no challenge', async () => {
    const memberSession = await addMember(h);
    const tokens = await obtainTokens(h, client, { session: memberSession, params: { scope: 'all' } });
    const response = await request(`${h.url}/api/v2/audit-logs`, { headers: bearer(tokens.access_token) });
    expect(response.status).to.equal(403);
    expect(response.headers.get('www-authenticate')).to.equal(null);
  });

  it('accepts a token bound to the issuer everywhere', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read', resource: h.url } });
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
  });

  it('answers a revoked access token with 401 and an invalid_token challenge', async () => {
    const tokens = await obtainTokens(h, client);
    expect((await revoke(h.url, client, tokens.access_token)).status).to.equal(200);
    const response = await me(h.url, tokens.access_token);
    expect(response.status).to.equal(401);
    const challenge = challengeOf(response.headers.get('www-authenticate'));
    expect(challenge.params).to.include({ realm: 'latchkey', error: 'invalid_token' });
    expect(challenge.params.resource_metadata).to.equal(`${h.url}/.well-known/oauth-protected-resource`);
    expect(challenge.params.error_description ?? '').to.not.match(/[="]/);
  });

  it('answers an access token with 401 once its app is deleted, and ends its refresh token', async () => {
    const tokens = await obtainTokens(h, client);
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    expect((await h.api.remove(client.id)).status).to.equal(204);
    expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
    expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 401, 'invalid_client');
  });

  it('does not take an access token from the latchkey_session cookie', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
    const response = await request(`${h.url}/api/v2/users/me`, {
      headers: { Cookie: sessionCookie(tokens.access_token) },
    });
    expect(response.status).to.equal(401);
  });

  it('does not take an access_token query parameter', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
    const response = await request(`${h.url}/api/v2/users/me?access_token=${tokens.access_token}`);
    expect(response.status).to.equal(401);
    const challenge = challengeOf(response.headers.get('www-authenticate'));
    expect(challenge.scheme).to.equal('Bearer');
    expect(challenge.params).to.deep.equal({
      realm: 'latchkey',
      resource_metadata: `${h.url}/.well-known/oauth-protected-resource`,
      scope: 'user:read',
    });
  });

  it('answers an access token in the header and a session in the cookie with 400', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
    const response = await request(`${h.url}/api/v2/users/me`, {
      headers: { ...bearer(tokens.access_token), Cookie: sessionCookie(h.session) },
    });
    expect(response.status).to.equal(400);
  });

  it('revokes the access token on logout with scope all', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'all' } });
    const logout = await request(`${h.url}/api/v2/users/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    expect(logout.status, logout.text).to.equal(204);
    expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
    expect(await meStatus(h.url, h.session)).to.equal(200);
  });

  it('refuses logout to an access token without scope all with 403 insufficient_scope', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read' } });
    const logout = await request(`${h.url}/api/v2/users/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    });
    expect(logout.status).to.equal(403);
    expect(challengeOf(logout.headers.get('www-authenticate')).params).to.include({
      error: 'insufficient_scope',
      scope: 'all',
    });
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
  });
});

describeOnEachStorage('DELETE /oauth2/tokens?client_id= (docs/http-api.md#token)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const revokeAll = (clientId: string | undefined, headers: Record<string, string> = bearer(h.session)) =>
    request(`${h.url}/oauth2/tokens${clientId === undefined ? '' : `?client_id=${clientId}`}`, {
      method: 'DELETE',
      headers,
    });

  const expectApiError = (response: Awaited<ReturnType<typeof request>>, status: number) => {
    expect(response.status, response.text).to.equal(status);
    expect(response.body).to.have.property('message').that.is.a('string');
    expect(response.body).to.not.have.property('error');
    expect(response.headers.get('cache-control')).to.equal('no-store');
  };

  it('answers 204 and ends every token of this user for that client', async () => {
    const first = await obtainTokens(h, client);
    const second = await obtainTokens(h, client);
    const response = await revokeAll(client.id);
    expect(response.status, response.text).to.equal(204);
    expect(response.text).to.equal('');
    expect(response.headers.get('cache-control')).to.equal('no-store');
    for (const tokens of [first, second]) {
      expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
      expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
    }
  });

  it('also ends the user’s unredeemed codes for that client', async () => {
    const code = await obtainCode(h, client);
    expect((await revokeAll(client.id)).status).to.equal(204);
    expectOAuthError(await exchange(h.url, client, code), 400, 'invalid_grant');
  });

  it('leaves other users’ tokens and other clients’ tokens alone', async () => {
    const memberSession = await addMember(h);
    const members = await obtainTokens(h, client, { session: memberSession });
    const other = await createClient(h);
    const others = await obtainTokens(h, other);
    await obtainTokens(h, client);
    expect((await revokeAll(client.id)).status).to.equal(204);
    expect(await meStatus(h.url, members.access_token)).to.equal(200);
    expect(await meStatus(h.url, others.access_token)).to.equal(200);
  });

  it('answers 204 when there was nothing to revoke', async () => {
    expect((await revokeAll(client.id)).status).to.equal(204);
  });

  it("authenticates with the session cookie too, from the issuer's origin", async () => {
    const tokens = await obtainTokens(h, client);
    const response = await revokeAll(client.id, { Cookie: sessionCookie(h.session), Origin: h.url });
    expect(response.status, response.text).to.equal(204);
    expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
  });

  it('answers a missing client_id with a 400 API error', async () => {
    expectApiError(await revokeAll(undefined), 400);
  });

  it('answers a malformed client_id with a 400 API error', async () => {
    expectApiError(await revokeAll('not-a-client-id'), 400);
  });

  it('answers a client_id given twice with a 400 API error', async () => {
    expectApiError(await revokeAll(`${client.id}&client_id=${client.id}`), 400);
  });

  it('answers an unknown client with a 404 API error', async () => {
    expectApiError(await revokeAll('00000000-0000-4000-8000-000000000000'), 404);
  });

  it('answers an unauthenticated request with 401 and the challenge naming scope all', async () => {
    const response = await revokeAll(client.id, {});
    expectApiError(response, 401);
    const challenge = challengeOf(response.headers.get('www-authenticate'));
    expect(challenge.scheme).to.equal('Bearer');
    expect(challenge.params).to.include({ realm: 'latchkey', scope: 'all' });
    expect(challenge.params).to.not.have.property('error');
  });

  it('answers an access token without scope all with 403 insufficient_scope', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read mcp' } });
    const response = await revokeAll(client.id, bearer(tokens.access_token));
    expectApiError(response, 403);
    expect(challengeOf(response.headers.get('www-authenticate')).params).to.include({
      error: 'insufficient_scope',
      scope: 'all',
    });
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
  });
});

describeOnEachStorage(
  'deleting a client secret and the tokens obtained with it (docs/http-api.md#apps)',
  (storage) => {
    let h: OAuthHarness;
    let client: OAuthClient;
    beforeEach(async () => {
      h = await storage.start();
      client = await createClient(h);
    });
    afterEach(() => h.server.stop());

    it('revokes the tokens obtained with that secret when revoke_tokens=true', async () => {
      const doomed = await obtainTokens(h, client);
      const newer = await h.api.createSecretOf(client.id);
      const kept = await obtainTokens(h, withSecret(client, newer.client_secret_full));
      const deleted = await h.api.deleteSecret(client.id, client.secretId ?? '', '?revoke_tokens=true');
      expect(deleted.status, deleted.text).to.equal(204);
      expect(await meStatus(h.url, doomed.access_token)).to.equal(401);
      const current = withSecret(client, newer.client_secret_full);
      expectOAuthError(await refresh(h.url, current, doomed.refresh_token), 400, 'invalid_grant');
      expect(await meStatus(h.url, kept.access_token)).to.equal(200);
      expectTokens(await refresh(h.url, current, kept.refresh_token));
    });

    it('lets the tokens live on without the flag; refreshing then needs a current secret', async () => {
      const tokens = await obtainTokens(h, client);
      const newer = await h.api.createSecretOf(client.id);
      expect((await h.api.deleteSecret(client.id, client.secretId ?? '')).status).to.equal(204);
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
      expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 401, 'invalid_client');
      expectTokens(await refresh(h.url, withSecret(client, newer.client_secret_full), tokens.refresh_token));
    });
  },
);
