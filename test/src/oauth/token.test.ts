import { decodeConfig } from '@latchkey/app';
import { FixedClock } from '@latchkey/domain/in-memory';
import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'chai';
import { expectNoNull } from '../http/admin-api.js';
import {
  basicAuth,
  codeForm,
  createClient,
  exchange,
  expectOAuthError,
  expectTokens,
  introspect,
  MCP_PATH,
  meStatus,
  obtainCode,
  obtainTokens,
  postForm,
  refresh,
  registerClient,
  tokenRequest,
  withSecret,
  type OAuthClient,
  type OAuthHarness,
  type Pairs,
  describeOnEachStorage,
  challengeOf,
} from './flow-helpers.js';

describeOnEachStorage('the token endpoint (docs/http-api.md#token, #conventions)', (storage) => {
  let h: OAuthHarness;
  let client: OAuthClient;
  beforeEach(async () => {
    h = await storage.start();
    client = await createClient(h);
  });
  afterEach(() => h.server.stop());

  describe('a successful code exchange', () => {
    it('answers exactly access_token, token_type, expires_in, refresh_token and scope', async () => {
      const response = await exchange(h.url, client, await obtainCode(h, client));
      expect(response.status, response.text).to.equal(200);
      expect(response.headers.get('content-type')).to.include('application/json');
      expect(Object.keys(response.body as object).sort()).to.deep.equal([
        'access_token',
        'expires_in',
        'refresh_token',
        'scope',
        'token_type',
      ]);
      expectNoNull(response, 'token response');
      const body = response.body as Record<string, unknown>;
      expect(body.token_type).to.equal('Bearer');
      expect(body.expires_in).to.equal(3600);
      expect(body.access_token).to.match(/^lk_at_/);
      expect(body.refresh_token).to.match(/^lk_rt_/);
      expect(body.scope).to.be.a('string');
      expect(response.headers.get('cache-control')).to.equal('no-store');
      expect(response.headers.get('pragma')).to.equal('no-cache');
    });

    it('gives a public client tokens for its client_id alone', async () => {
      const publicClient = await createClient(h, { type: 'public' });
      const tokens = expectTokens(await exchange(h.url, publicClient, await obtainCode(h, publicClient)));
      expect(tokens.refresh_token).to.match(/^lk_rt_/);
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    });

    it('accepts client_secret_post', async () => {
      const code = await obtainCode(h, client);
      expectTokens(await exchange(h.url, client, code, {}, 'post'));
    });

    it('accepts an exchange without redirect_uri', async () => {
      const code = await obtainCode(h, client);
      expectTokens(await exchange(h.url, client, code, { redirect_uri: undefined }));
    });

    it('sets expires_in from LATCHKEY_ACCESS_TOKEN_TTL', async () => {
      const short = await storage.start({ LATCHKEY_ACCESS_TOKEN_TTL: '2m' });
      try {
        const shortClient = await createClient(short);
        const tokens = await obtainTokens(short, shortClient);
        expect(tokens.expires_in).to.equal(120);
      } finally {
        await short.server.stop();
      }
    });
  });

  describe('PKCE at the token endpoint', () => {
    it('fails a wrong code_verifier with invalid_grant and leaves the code usable', async () => {
      const code = await obtainCode(h, client);
      const wrong = await exchange(h.url, client, code, { code_verifier: 'x'.repeat(43) });
      expectOAuthError(wrong, 400, 'invalid_grant');
      expectTokens(await exchange(h.url, client, code));
    });

    it('fails a missing code_verifier with invalid_grant and leaves the code usable', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(
        await exchange(h.url, client, code, { code_verifier: undefined }),
        400,
        'invalid_grant',
      );
      expectTokens(await exchange(h.url, client, code));
    });

    it('treats an empty code_verifier as missing', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await exchange(h.url, client, code, { code_verifier: '' }), 400, 'invalid_grant');
    });

    it('refuses the challenge itself as the verifier', async () => {
      const code = await obtainCode(h, client);
      const response = await exchange(h.url, client, code, { code_verifier: code.pkce.challenge });
      expectOAuthError(response, 400, 'invalid_grant');
    });
  });

  describe('the redirect_uri of an exchange', () => {
    it('fails a redirect_uri other than the one sent at authorize with invalid_grant, leaving the code usable', async () => {
      const twoUris = await createClient(h, {
        callback_url: 'https://two.example.com/a',
        redirect_uris: ['https://two.example.com/a', 'https://two.example.com/b'],
      });
      const code = await obtainCode(h, twoUris);
      const other = await exchange(h.url, twoUris, code, { redirect_uri: 'https://two.example.com/b' });
      expectOAuthError(other, 400, 'invalid_grant');
      expectTokens(await exchange(h.url, twoUris, code));
    });
  });

  describe('a code used a second time', () => {
    it('fails with invalid_grant and revokes the tokens of the first exchange', async () => {
      const code = await obtainCode(h, client);
      const tokens = expectTokens(await exchange(h.url, client, code));
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);

      expectOAuthError(await exchange(h.url, client, code), 400, 'invalid_grant');
      expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
      expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
    });

    it('also revokes the tokens obtained by refreshing that grant', async () => {
      const code = await obtainCode(h, client);
      const first = expectTokens(await exchange(h.url, client, code));
      const refreshed = expectTokens(await refresh(h.url, client, first.refresh_token));

      expectOAuthError(await exchange(h.url, client, code), 400, 'invalid_grant');
      expect(await meStatus(h.url, refreshed.access_token)).to.equal(401);
      expectOAuthError(await refresh(h.url, client, refreshed.refresh_token), 400, 'invalid_grant');
    });

    it('revokes nothing when the replay fails client authentication', async () => {
      const code = await obtainCode(h, client);
      const tokens = expectTokens(await exchange(h.url, client, code));
      const replay = await exchange(h.url, withSecret(client, `lk_secret_${'A'.repeat(43)}`), code);
      expectOAuthError(replay, 401, 'invalid_client');
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    });

    it('revokes nothing when the replay carries a wrong code_verifier', async () => {
      const code = await obtainCode(h, client);
      const tokens = expectTokens(await exchange(h.url, client, code));
      const replay = await exchange(h.url, client, code, { code_verifier: 'y'.repeat(43) });
      expectOAuthError(replay, 400, 'invalid_grant');
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    });

    it('revokes nothing when another client presents the used code', async () => {
      const other = await createClient(h);
      const code = await obtainCode(h, client);
      const tokens = expectTokens(await exchange(h.url, client, code));
      expectOAuthError(await exchange(h.url, other, code), 400, 'invalid_grant');
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
    });

    it('leaves other grants of the same user and client alone', async () => {
      const other = await obtainTokens(h, client);
      const code = await obtainCode(h, client);
      expectTokens(await exchange(h.url, client, code));
      await exchange(h.url, client, code);
      expect(await meStatus(h.url, other.access_token)).to.equal(200);
    });
  });

  it('fails an unknown code with invalid_grant', async () => {
    const code = await obtainCode(h, client);
    const response = await exchange(h.url, client, { ...code, code: `lk_code_${'A'.repeat(43)}` });
    expectOAuthError(response, 400, 'invalid_grant');
  });

  describe('client authentication', () => {
    it('refuses another client’s secret with this client’s id: 401 invalid_client with a Basic challenge', async () => {
      const other = await createClient(h);
      const code = await obtainCode(h, client);
      const response = await exchange(h.url, withSecret(client, other.secret ?? ''), code);
      expectOAuthError(response, 401, 'invalid_client');
      expect(response.headers.get('www-authenticate')).to.equal('Basic realm="latchkey"');
      expectTokens(await exchange(h.url, client, code));
    });

    it('refuses a wrong secret sent with client_secret_post', async () => {
      const code = await obtainCode(h, client);
      const response = await exchange(
        h.url,
        withSecret(client, `lk_secret_${'A'.repeat(43)}`),
        code,
        {},
        'post',
      );
      expectOAuthError(response, 401, 'invalid_client');
    });

    it('refuses both Basic and client_secret_post at once with invalid_request', async () => {
      const code = await obtainCode(h, client);
      const response = await postForm(
        h.url,
        '/oauth2/tokens',
        [...codeForm(code), ['client_id', client.id], ['client_secret', client.secret ?? '']],
        basicAuth(client.id, client.secret ?? ''),
      );
      expectOAuthError(response, 400, 'invalid_request');
      expectTokens(await exchange(h.url, client, code));
    });

    it('refuses an unknown client with invalid_client', async () => {
      const code = await obtainCode(h, client);
      const unknown = { ...client, id: '00000000-0000-4000-8000-000000000000' };
      const basic = await exchange(h.url, unknown, code);
      expectOAuthError(basic, 401, 'invalid_client');
      expect(basic.headers.get('www-authenticate')).to.equal('Basic realm="latchkey"');
      expectOAuthError(await exchange(h.url, unknown, code, {}, 'none'), 401, 'invalid_client');
    });

    it('refuses a confidential client that sends no secret with invalid_client', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await exchange(h.url, client, code, {}, 'none'), 401, 'invalid_client');
      expectTokens(await exchange(h.url, client, code));
    });

    it('refuses a request with no client at all with invalid_client', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await postForm(h.url, '/oauth2/tokens', codeForm(code)), 401, 'invalid_client');
    });

    it('refuses a malformed Basic header with invalid_client', async () => {
      const code = await obtainCode(h, client);
      const response = await postForm(h.url, '/oauth2/tokens', codeForm(code), {
        Authorization: 'Basic not-base64!',
      });
      expectOAuthError(response, 401, 'invalid_client');
    });

    it('refuses Basic credentials in a non-canonical base64 spelling, and takes them unpadded', async () => {
      const code = await obtainCode(h, client);
      const secret = client.secret ?? '';
      // Percent-encode the first k characters of the id (form-decoding undoes it) so that the
      // base64 text ends in padding, which leaves its last character stray bits to set.
      const percentEncoded = (text: string): string =>
        text.replace(/./g, (c) => `%${c.charCodeAt(0).toString(16)}`);
      const spelledId = [0, 1, 2]
        .map((k) => `${percentEncoded(client.id.slice(0, k))}${client.id.slice(k)}`)
        .find((id) => (id.length + 1 + secret.length) % 3 !== 0);
      const canonical = Buffer.from(`${spelledId ?? ''}:${secret}`).toString('base64');
      expect(canonical).to.match(/[^=]=+$/);
      const data = canonical.replace(/=+$/, '');
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const last = alphabet[alphabet.indexOf(data.at(-1) ?? 'A') + 1] ?? 'B';
      const strayBits = `${data.slice(0, -1)}${last}${canonical.slice(data.length)}`;
      // Both decode, with Node's lenient decoder, to the very same credentials.
      for (const spelled of [`${canonical}====`, strayBits]) {
        expect(Buffer.from(spelled, 'base64').equals(Buffer.from(canonical, 'base64'))).to.equal(true);
        const refused = await postForm(h.url, '/oauth2/tokens', codeForm(code), {
          Authorization: `Basic ${spelled}`,
        });
        expectOAuthError(refused, 401, 'invalid_client');
        expect(refused.headers.get('www-authenticate')).to.equal('Basic realm="latchkey"');
      }
      // The refusals spent nothing: the same code redeems with the padding left off.
      expectTokens(
        await postForm(h.url, '/oauth2/tokens', codeForm(code), { Authorization: `Basic ${data}` }),
      );
    });

    it('form-decodes both parts of the Basic credentials (RFC 6749 §2.3.1)', async () => {
      const code = await obtainCode(h, client);
      const encodedId = client.id.replace(/-/g, '%2D');
      const credentials = Buffer.from(`${encodedId}:${client.secret ?? ''}`).toString('base64');
      const response = await postForm(h.url, '/oauth2/tokens', codeForm(code), {
        Authorization: `Basic ${credentials}`,
      });
      expectTokens(response);
    });

    it('ignores an empty client_secret beside Basic credentials (§2: empty means omitted)', async () => {
      const code = await obtainCode(h, client);
      const response = await postForm(
        h.url,
        '/oauth2/tokens',
        [...codeForm(code), ['client_secret', '']],
        basicAuth(client.id, client.secret ?? ''),
      );
      expectTokens(response);
    });

    it('fails another client’s code with invalid_grant, and its own client can still redeem it', async () => {
      const other = await createClient(h);
      const code = await obtainCode(h, client);
      expectOAuthError(await exchange(h.url, other, code), 400, 'invalid_grant');
      expectTokens(await exchange(h.url, client, code));
    });
  });

  describe('request validation', () => {
    const send = (form: Pairs) => tokenRequest(h.url, client, form);

    it('fails a missing grant_type with invalid_request', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await send(codeForm(code, { grant_type: undefined })), 400, 'invalid_request');
    });

    it('treats an empty grant_type as missing', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await send(codeForm(code, { grant_type: '' })), 400, 'invalid_request');
    });

    for (const grantType of ['password', 'urn:ietf:params:oauth:grant-type:device_code']) {
      it(`fails grant_type=${grantType} with unsupported_grant_type`, async () => {
        const code = await obtainCode(h, client);
        expectOAuthError(
          await send(codeForm(code, { grant_type: grantType })),
          400,
          'unsupported_grant_type',
        );
        expectTokens(await exchange(h.url, client, code));
      });
    }

    it('fails grant_type=client_credentials from an app that did not enable it with unauthorized_client', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(
        await send(codeForm(code, { grant_type: 'client_credentials' })),
        400,
        'unauthorized_client',
      );
      expectTokens(await exchange(h.url, client, code));
    });

    it('fails a missing code with invalid_request', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await send(codeForm(code, { code: undefined })), 400, 'invalid_request');
    });

    it('fails a parameter given twice with invalid_request and leaves the code usable', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await send([...codeForm(code), ['code', code.code]]), 400, 'invalid_request');
      expectTokens(await exchange(h.url, client, code));
    });

    it('fails grant_type given twice with invalid_request', async () => {
      const code = await obtainCode(h, client);
      const response = await send([...codeForm(code), ['grant_type', 'authorization_code']]);
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('fails resource given twice with invalid_target', async () => {
      const code = await obtainCode(h, client, { params: { resource: h.url } });
      const response = await send([...codeForm(code), ['resource', h.url], ['resource', h.url]]);
      expectOAuthError(response, 400, 'invalid_target');
    });
  });

  it('answers a body over 64 KiB with 413', async () => {
    const code = await obtainCode(h, client);
    const response = await tokenRequest(h.url, client, [
      ...codeForm(code),
      ['padding', 'x'.repeat(70 * 1024)],
    ]);
    expect(response.status).to.equal(413);
    expectTokens(await exchange(h.url, client, code));
  });

  describe('a client registered without the refresh_token grant', () => {
    let limited: OAuthClient;
    beforeEach(async () => {
      limited = await registerClient(h, {
        client_name: 'code only',
        redirect_uris: ['http://127.0.0.1:5000/cb'],
        grant_types: ['authorization_code'],
        token_endpoint_auth_method: 'none',
      });
    });

    it('gets an access token and no refresh token', async () => {
      const response = await exchange(h.url, limited, await obtainCode(h, limited));
      const body = expectTokens(response);
      expect(Object.keys(body).sort()).to.deep.equal(['access_token', 'expires_in', 'scope', 'token_type']);
      expect(await meStatus(h.url, body.access_token)).to.equal(200);
    });

    it('fails grant_type=refresh_token with unauthorized_client', async () => {
      const other = await obtainTokens(h, await createClient(h, { type: 'public' }));
      expectOAuthError(await refresh(h.url, limited, other.refresh_token), 400, 'unauthorized_client');
    });
  });

  describe('the resource of an exchange (RFC 8707)', () => {
    it('redeems a code with the resource sent at authorize', async () => {
      const code = await obtainCode(h, client, { params: { resource: `${h.url}${MCP_PATH}` } });
      expectTokens(await exchange(h.url, client, code, { resource: `${h.url}${MCP_PATH}` }));
    });

    it('fails a resource other than the one sent at authorize with invalid_target, leaving the code usable', async () => {
      const code = await obtainCode(h, client, { params: { resource: `${h.url}${MCP_PATH}` } });
      expectOAuthError(await exchange(h.url, client, code, { resource: h.url }), 400, 'invalid_target');
      expectTokens(await exchange(h.url, client, code, { resource: `${h.url}${MCP_PATH}` }));
    });

    it('treats an empty resource as omitted', async () => {
      const code = await obtainCode(h, client);
      expectTokens(await exchange(h.url, client, code, { resource: '' }));
    });

    it('fails a resource when none was sent at authorize with invalid_target', async () => {
      const code = await obtainCode(h, client);
      expectOAuthError(await exchange(h.url, client, code, { resource: h.url }), 400, 'invalid_target');
    });
  });

  describe('the refresh token grant', () => {
    it('fails a missing refresh_token with invalid_request', async () => {
      const response = await tokenRequest(h.url, client, [['grant_type', 'refresh_token']]);
      expectOAuthError(response, 400, 'invalid_request');
    });

    it('fails an unknown refresh token with invalid_grant', async () => {
      expectOAuthError(await refresh(h.url, client, `lk_rt_${'A'.repeat(43)}`), 400, 'invalid_grant');
    });

    it('refuses a confidential client that sends no secret with invalid_client', async () => {
      const tokens = await obtainTokens(h, client);
      expectOAuthError(await refresh(h.url, client, tokens.refresh_token, {}, 'none'), 401, 'invalid_client');
      expectTokens(await refresh(h.url, client, tokens.refresh_token));
    });

    it('fails another client’s refresh token with invalid_grant and leaves the grant alone', async () => {
      const other = await createClient(h);
      const tokens = await obtainTokens(h, client);
      expectOAuthError(await refresh(h.url, other, tokens.refresh_token), 400, 'invalid_grant');
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
      expectTokens(await refresh(h.url, client, tokens.refresh_token));
    });

    it('narrows the scope to a requested subset', async () => {
      const tokens = await obtainTokens(h, client, { params: { scope: 'mcp user:read' } });
      const narrowed = expectTokens(await refresh(h.url, client, tokens.refresh_token, { scope: 'mcp' }));
      expect(narrowed.scope).to.equal('mcp');
      expect(await meStatus(h.url, narrowed.access_token)).to.equal(403);
    });

    it('keeps the presented scope on the new refresh token, narrowing only the access token (RFC 6749 §6)', async () => {
      const tokens = await obtainTokens(h, client, { params: { scope: 'mcp user:read' } });
      const narrowed = expectTokens(await refresh(h.url, client, tokens.refresh_token, { scope: 'mcp' }));
      expect(narrowed.scope).to.equal('mcp');
      const widened = expectTokens(
        await refresh(h.url, client, narrowed.refresh_token, { scope: 'mcp user:read' }),
      );
      expect(widened.scope.split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
      expect(await meStatus(h.url, widened.access_token)).to.equal(200);
      const unnamed = expectTokens(await refresh(h.url, client, widened.refresh_token));
      expect(unnamed.scope.split(' ').sort()).to.deep.equal(['mcp', 'user:read']);
    });

    it('fails a scope beyond the one granted with invalid_scope', async () => {
      const tokens = await obtainTokens(h, client, { params: { scope: 'mcp' } });
      const response = await refresh(h.url, client, tokens.refresh_token, { scope: 'mcp user:read' });
      expectOAuthError(response, 400, 'invalid_scope');
    });

    it('accepts the bound resource in another spelling (§8 normalisation)', async () => {
      const tokens = await obtainTokens(h, client);
      const upper = h.url.replace('http://', 'HTTP://');
      expectTokens(await refresh(h.url, client, tokens.refresh_token, { resource: `${upper}/` }));
    });

    it('fails a resource other than the bound one with invalid_target', async () => {
      const tokens = await obtainTokens(h, client);
      const response = await refresh(h.url, client, tokens.refresh_token, {
        resource: `${h.url}${MCP_PATH}`,
      });
      expectOAuthError(response, 400, 'invalid_target');
    });
  });

  describe('refresh token rotation and reuse (RFC 9700 §4.14.2)', () => {
    it('accepts a rotated refresh token once more within the grace window, with a new pair', async () => {
      const first = await obtainTokens(h, client);
      const second = expectTokens(await refresh(h.url, client, first.refresh_token));
      const replayed = expectTokens(await refresh(h.url, client, first.refresh_token));
      expect(replayed.refresh_token).to.not.equal(first.refresh_token);
      expect(replayed.refresh_token).to.not.equal(second.refresh_token);
      expect(await meStatus(h.url, replayed.access_token)).to.equal(200);
    });

    it('revokes the whole grant at the third presentation of a refresh token', async () => {
      const first = await obtainTokens(h, client);
      const second = expectTokens(await refresh(h.url, client, first.refresh_token));
      const third = expectTokens(await refresh(h.url, client, first.refresh_token));

      expectOAuthError(await refresh(h.url, client, first.refresh_token), 400, 'invalid_grant');
      for (const token of [first, second, third])
        expect(await meStatus(h.url, token.access_token)).to.equal(401);
      expectOAuthError(await refresh(h.url, client, third.refresh_token), 400, 'invalid_grant');
      expectOAuthError(await refresh(h.url, client, second.refresh_token), 400, 'invalid_grant');
    });

    it('revokes nothing when a replayed refresh token fails client authentication', async () => {
      const first = await obtainTokens(h, client);
      const second = expectTokens(await refresh(h.url, client, first.refresh_token));
      expectTokens(await refresh(h.url, client, first.refresh_token));
      const replay = await refresh(
        h.url,
        withSecret(client, `lk_secret_${'A'.repeat(43)}`),
        first.refresh_token,
      );
      expectOAuthError(replay, 401, 'invalid_client');
      expect(await meStatus(h.url, second.access_token)).to.equal(200);
    });

    it('leaves other grants alone when one grant is revoked for reuse', async () => {
      const other = await obtainTokens(h, client);
      const first = await obtainTokens(h, client);
      await refresh(h.url, client, first.refresh_token);
      await refresh(h.url, client, first.refresh_token);
      await refresh(h.url, client, first.refresh_token);
      expect(await meStatus(h.url, other.access_token)).to.equal(200);
      expectTokens(await refresh(h.url, client, other.refresh_token));
    });
  });

  describe('refresh token reuse with LATCHKEY_REFRESH_REUSE_GRACE=0', () => {
    let strict: OAuthHarness;
    let strictClient: OAuthClient;
    beforeEach(async () => {
      strict = await storage.start({ LATCHKEY_REFRESH_REUSE_GRACE: '0' });
      strictClient = await createClient(strict);
    });
    afterEach(() => strict.server.stop());

    it('revokes the grant at the first replay', async () => {
      const first = await obtainTokens(strict, strictClient);
      const second = expectTokens(await refresh(strict.url, strictClient, first.refresh_token));
      expectOAuthError(await refresh(strict.url, strictClient, first.refresh_token), 400, 'invalid_grant');
      expect(await meStatus(strict.url, first.access_token)).to.equal(401);
      expect(await meStatus(strict.url, second.access_token)).to.equal(401);
      expectOAuthError(await refresh(strict.url, strictClient, second.refresh_token), 400, 'invalid_grant');
    });
  });

  describe('the token rate limit (LATCHKEY_RATE_LIMIT_TOKEN=3)', () => {
    it('answers the fourth token request from an IP with 429 temporarily_unavailable and Retry-After', async () => {
      const limited = await storage.start({ LATCHKEY_RATE_LIMIT_TOKEN: '3' });
      try {
        const limitedClient = await createClient(limited);
        const code = await obtainCode(limited, limitedClient);
        for (let i = 0; i < 3; i += 1) {
          const response = await tokenRequest(limited.url, limitedClient, [['grant_type', 'password']]);
          expect(response.status, response.text).to.equal(400);
        }
        const fourth = await postForm(limited.url, '/oauth2/tokens', codeForm(code), {
          ...basicAuth(limitedClient.id, limitedClient.secret ?? ''),
          Origin: 'https://client.example.com',
        });
        expectOAuthError(fourth, 429, 'temporarily_unavailable');
        expect(Number(fourth.headers.get('retry-after'))).to.be.greaterThan(0);
        expect(fourth.headers.get('pragma')).to.equal('no-cache');
        expect(fourth.headers.get('access-control-allow-origin')).to.equal('*');
      } finally {
        await limited.server.stop();
      }
    });
  });
});

describeOnEachStorage(
  'expiry at the token endpoint, with a fixed clock (docs/http-api.md#token)',
  (storage) => {
    let clock: FixedClock;
    let h: OAuthHarness;
    let client: OAuthClient;
    const start = async (env: Record<string, string>) => {
      clock = new FixedClock();
      h = await storage.start(env, { clock });
      client = await createClient(h);
    };
    afterEach(() => h.server.stop());

    it('redeems a code just before LATCHKEY_CODE_TTL and fails one just after with invalid_grant', async () => {
      await start({ LATCHKEY_CODE_TTL: '120' });
      const early = await obtainCode(h, client);
      const late = await obtainCode(h, client);
      clock.advance(119);
      expectTokens(await exchange(h.url, client, early));
      clock.advance(2);
      expectOAuthError(await exchange(h.url, client, late), 400, 'invalid_grant');
    });

    it('refuses to start with a LATCHKEY_CODE_TTL over 10 minutes', () => {
      expect(E.isLeft(decodeConfig({ LATCHKEY_CODE_TTL: '601' }))).to.equal(true);
      expect(E.isRight(decodeConfig({ LATCHKEY_CODE_TTL: '600' }))).to.equal(true);
    });

    it('refreshes just before LATCHKEY_REFRESH_TOKEN_TTL and fails just after with invalid_grant', async () => {
      await start({ LATCHKEY_REFRESH_TOKEN_TTL: '1h' });
      const tokens = await obtainTokens(h, client);
      clock.advance(3599);
      // Each rotated refresh token gets a fresh lifetime (an idle limit).
      const second = expectTokens(await refresh(h.url, client, tokens.refresh_token));
      clock.advance(3599);
      const third = expectTokens(await refresh(h.url, client, second.refresh_token));
      clock.advance(3601);
      expectOAuthError(await refresh(h.url, client, third.refresh_token), 400, 'invalid_grant');
    });

    it('ends the grant LATCHKEY_GRANT_MAX_TTL after consent however often it was refreshed', async () => {
      await start({ LATCHKEY_REFRESH_TOKEN_TTL: '1h', LATCHKEY_GRANT_MAX_TTL: '2h' });
      let tokens = await obtainTokens(h, client);
      clock.advance(3500);
      tokens = expectTokens(await refresh(h.url, client, tokens.refresh_token));
      clock.advance(3500);
      tokens = expectTokens(await refresh(h.url, client, tokens.refresh_token));
      clock.advance(300);
      expectOAuthError(await refresh(h.url, client, tokens.refresh_token), 400, 'invalid_grant');
    });

    it('revokes the grant when a rotated refresh token comes back after the grace window', async () => {
      await start({ LATCHKEY_REFRESH_REUSE_GRACE: '30s' });
      const first = await obtainTokens(h, client);
      const second = expectTokens(await refresh(h.url, client, first.refresh_token));
      clock.advance(31);
      expectOAuthError(await refresh(h.url, client, first.refresh_token), 400, 'invalid_grant');
      expect(await meStatus(h.url, second.access_token)).to.equal(401);
      expectOAuthError(await refresh(h.url, client, second.refresh_token), 400, 'invalid_grant');
    });

    it('accepts a rotated refresh token once more inside the grace window', async () => {
      await start({ LATCHKEY_REFRESH_REUSE_GRACE: '30s' });
      const first = await obtainTokens(h, client);
      expectTokens(await refresh(h.url, client, first.refresh_token));
      clock.advance(29);
      expectTokens(await refresh(h.url, client, first.refresh_token));
    });

    it('introspects expired access and refresh tokens as inactive', async () => {
      await start({ LATCHKEY_ACCESS_TOKEN_TTL: '120', LATCHKEY_REFRESH_TOKEN_TTL: '1h' });
      const tokens = await obtainTokens(h, client);
      clock.advance(119);
      expect((await introspect(h.url, client, tokens.access_token)).body).to.include({ active: true });
      clock.advance(2);
      expect((await introspect(h.url, client, tokens.access_token)).body).to.deep.equal({ active: false });
      expect((await introspect(h.url, client, tokens.refresh_token)).body).to.include({ active: true });
      clock.advance(3600);
      expect((await introspect(h.url, client, tokens.refresh_token)).body).to.deep.equal({ active: false });
    });

    it('rejects an access token after LATCHKEY_ACCESS_TOKEN_TTL with 401 invalid_token', async () => {
      await start({ LATCHKEY_ACCESS_TOKEN_TTL: '120' });
      const tokens = await obtainTokens(h, client);
      clock.advance(119);
      expect(await meStatus(h.url, tokens.access_token)).to.equal(200);
      clock.advance(2);
      const response = await fetch(`${h.url}/api/v2/users/me`, {
        headers: { Authorization: `Bearer ${tokens.access_token}` },
      });
      expect(response.status).to.equal(401);
      expect(challengeOf(response.headers.get('www-authenticate')).params.error).to.equal('invalid_token');
    });
  },
);
