import { expect } from 'chai';
import { OWNER } from '../support/server.js';
import {
  asClient,
  createClient,
  expectOAuthError,
  expectTokens,
  introspect,
  MCP_PATH,
  meStatus,
  obtainCode,
  obtainTokens,
  refresh,
  revoke,
  describeOnEachStorage,
  userIdOf,
  type OAuthClient,
  type OAuthHarness,
} from './flow-helpers.js';

describeOnEachStorage('token revocation (docs/http-api.md#revocation, RFC 7009)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const expectEmpty200 = (response: Awaited<ReturnType<typeof revoke>>) => {
    expect(response.status, response.text).to.equal(200);
    expect(response.text).to.equal('');
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(response.headers.get('pragma')).to.equal('no-cache');
  };

  it('revokes its own access token, and just that token', async () => {
    const tokens = await obtainTokens(h, client);
    expectEmpty200(await revoke(h.url, client, tokens.access_token));
    expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
    const refreshed = expectTokens(await refresh(h.url, client, tokens.refresh_token));
    expect(await meStatus(h.url, refreshed.access_token)).to.equal(200);
  });

  it('revokes its own refresh token together with the grant’s access tokens', async () => {
    const first = await obtainTokens(h, client);
    const second = expectTokens(await refresh(h.url, client, first.refresh_token));
    expectEmpty200(await revoke(h.url, client, second.refresh_token));
    expect(await meStatus(h.url, first.access_token)).to.equal(401);
    expect(await meStatus(h.url, second.access_token)).to.equal(401);
    expectOAuthError(await refresh(h.url, client, second.refresh_token), 400, 'invalid_grant');
  });

  it('honours a wrong token_type_hint', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await asClient(h.url, '/oauth2/revoke', client, [
      ['token', tokens.refresh_token],
      ['token_type_hint', 'access_token'],
    ]);
    expectEmpty200(response);
    expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
  });

  it('answers 200 for an unknown token', async () => {
    expectEmpty200(await revoke(h.url, client, `lk_at_${'A'.repeat(43)}`));
    expectEmpty200(await revoke(h.url, client, 'not-a-token'));
  });

  it('answers 200 for another client’s token and leaves it valid', async () => {
    const other = await createClient(h);
    const tokens = await obtainTokens(h, other);
    expectEmpty200(await revoke(h.url, client, tokens.access_token));
    expectEmpty200(await revoke(h.url, client, tokens.refresh_token));
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    expectTokens(await refresh(h.url, other, tokens.refresh_token));
  });

  it('answers 200 for a session token and leaves the session alone', async () => {
    expectEmpty200(await revoke(h.url, client, h.session));
    expect(await meStatus(h.url, h.session)).to.equal(200);
  });

  it('lets a public client revoke its own refresh token with its client_id alone', async () => {
    const publicClient = await createClient(h, { type: 'public' });
    const tokens = await obtainTokens(h, publicClient);
    expectEmpty200(await revoke(h.url, publicClient, tokens.refresh_token));
    expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
  });

  it('fails a missing token with invalid_request', async () => {
    expectOAuthError(await asClient(h.url, '/oauth2/revoke', client, []), 400, 'invalid_request');
  });

  it('fails a confidential client without its secret with invalid_client and revokes nothing', async () => {
    const tokens = await obtainTokens(h, client);
    expectOAuthError(await revoke(h.url, client, tokens.access_token, 'none'), 401, 'invalid_client');
    expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
  });

  it('fails a wrong Basic secret with invalid_client and a Basic challenge', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await revoke(
      h.url,
      { ...client, secret: `lk_secret_${'B'.repeat(43)}` },
      tokens.access_token,
    );
    expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).to.equal('Basic realm="latchkey"');
  });

  it('fails a token given twice with invalid_request', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await asClient(h.url, '/oauth2/revoke', client, [
      ['token', tokens.access_token],
      ['token', tokens.access_token],
    ]);
    expectOAuthError(response, 400, 'invalid_request');
  });
});

describeOnEachStorage('token introspection (docs/http-api.md#introspection, RFC 7662)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  const inactive = async (caller: OAuthClient, token: string) => {
    const response = await introspect(h.url, caller, token);
    expect(response.status, response.text).to.equal(200);
    expect(response.body).to.deep.equal({ active: false });
    expect(response.headers.get('cache-control')).to.equal('no-store');
  };

  it('describes its own active access token', async () => {
    const tokens = await obtainTokens(h, client, { params: { scope: 'user:read' } });
    const response = await introspect(h.url, client, tokens.access_token);
    expect(response.status, response.text).to.equal(200);
    const body = response.body as Record<string, unknown>;
    expect(body).to.include({
      active: true,
      client_id: client.id,
      username: OWNER.username,
      sub: await userIdOf(h.url, h.session),
      scope: 'user:read',
      token_type: 'Bearer',
    });
    expect(body.exp).to.be.a('number');
    expect(body.iat).to.be.a('number');
    expect(Number(body.exp) - Number(body.iat)).to.equal(3600);
    expect(Math.abs(Number(body.iat) - Date.now() / 1000)).to.be.lessThan(60);
    const allowed = ['active', 'aud', 'client_id', 'exp', 'iat', 'scope', 'sub', 'token_type', 'username'];
    expect(Object.keys(body).filter((k) => !allowed.includes(k))).to.deep.equal([]);
    expect(response.headers.get('cache-control')).to.equal('no-store');
    expect(response.headers.get('pragma')).to.equal('no-cache');
  });

  it('describes its own active refresh token', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await introspect(h.url, client, tokens.refresh_token);
    expect(response.status, response.text).to.equal(200);
    expect(response.body).to.include({ active: true, client_id: client.id, username: OWNER.username });
  });

  it('names the bound resource as aud when there is one', async () => {
    const resource = `${h.url}${MCP_PATH}`;
    const tokens = await obtainTokens(h, client, { params: { resource } });
    const body = (await introspect(h.url, client, tokens.access_token)).body as { aud?: string | string[] };
    expect(body.aud, 'aud of a resource-bound token').to.not.equal(undefined);
    expect([body.aud].flat()).to.include(resource);
  });

  it('accepts client_secret_post', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await introspect(h.url, client, tokens.access_token, 'post');
    expect(response.body).to.include({ active: true });
  });

  it('answers {"active":false} for a revoked token', async () => {
    const tokens = await obtainTokens(h, client);
    await revoke(h.url, client, tokens.access_token);
    await inactive(client, tokens.access_token);
  });

  it('answers {"active":false} for a rotated refresh token, and describes its successor', async () => {
    const tokens = await obtainTokens(h, client);
    const rotated = await refresh(h.url, client, tokens.refresh_token);
    expect(rotated.status, rotated.text).to.equal(200);
    const next = rotated.body as { refresh_token: string };
    await inactive(client, tokens.refresh_token);
    const response = await introspect(h.url, client, next.refresh_token);
    expect(response.body).to.include({ active: true, client_id: client.id });
  });

  it('answers {"active":false} for every token of a revoked grant', async () => {
    const tokens = await obtainTokens(h, client);
    await revoke(h.url, client, tokens.refresh_token);
    await inactive(client, tokens.refresh_token);
    await inactive(client, tokens.access_token);
  });

  it('answers {"active":false} for an unknown or malformed token', async () => {
    await inactive(client, `lk_at_${'A'.repeat(43)}`);
    await inactive(client, 'nonsense');
  });

  it('answers {"active":false} for a session token', async () => {
    await inactive(client, h.session);
  });

  it('answers {"active":false} for an authorization code', async () => {
    const code = await obtainCode(h, client);
    await inactive(client, code.code);
  });

  it('answers {"active":false} for a client secret', async () => {
    await inactive(client, client.secret ?? '');
  });

  it('answers {"active":false} for another client’s token', async () => {
    const other = await createClient(h);
    const tokens = await obtainTokens(h, other);
    await inactive(client, tokens.access_token);
    await inactive(client, tokens.refresh_token);
  });

  it('describes another client’s token to an owner-created confidential app with introspect_any', async () => {
    const resourceServer = await createClient(h, { introspect_any: true });
    const other = await createClient(h);
    const tokens = await obtainTokens(h, other);
    const response = await introspect(h.url, resourceServer, tokens.access_token);
    expect(response.body).to.include({ active: true, client_id: other.id, username: OWNER.username });
  });

  it('refuses a public client with 401 invalid_client', async () => {
    const publicClient = await createClient(h, { type: 'public' });
    const tokens = await obtainTokens(h, publicClient);
    expectOAuthError(await introspect(h.url, publicClient, tokens.access_token), 401, 'invalid_client');
  });

  it('refuses a confidential client without its secret with 401 invalid_client', async () => {
    const tokens = await obtainTokens(h, client);
    expectOAuthError(await introspect(h.url, client, tokens.access_token, 'none'), 401, 'invalid_client');
  });

  it('refuses a wrong Basic secret with a Basic challenge', async () => {
    const tokens = await obtainTokens(h, client);
    const response = await introspect(
      h.url,
      { ...client, secret: `lk_secret_${'C'.repeat(43)}` },
      tokens.access_token,
    );
    expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).to.equal('Basic realm="latchkey"');
  });

  it('fails a missing token with invalid_request', async () => {
    expectOAuthError(await asClient(h.url, '/oauth2/introspect', client, []), 400, 'invalid_request');
  });
});
