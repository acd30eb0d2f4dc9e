import { expect } from 'chai';
import {
  bearer,
  cookieFrom,
  login,
  MEMBER,
  OWNER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
  describeOnBothStorages,
} from '../support/server.js';

describeOnBothStorages('users and sessions over HTTP (docs/http-api.md#users-and-sessions)', () => {
  let server: TestServer;
  let url: string;

  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
  });
  afterEach(() => server.stop());

  context('when nobody has set up the server yet', () => {
    it('creates the first user as an owner and hides the password', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, OWNER);
      expect(response.status).to.equal(201);
      const user = response.body as Record<string, unknown>;
      expect(user).to.include({
        email: OWNER.email,
        username: OWNER.username,
        name: OWNER.name,
        role: 'owner',
      });
      expect(user.id).to.match(/^[0-9a-f-]{36}$/);
      expect(Date.parse(user.created_at as string)).to.be.a('number').and.not.NaN;
      expect(Object.keys(user).sort()).to.deep.equal([
        'created_at',
        'email',
        'id',
        'name',
        'role',
        'username',
      ]);
    });

    it('lets exactly one of many concurrent first-user requests succeed', async () => {
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          postJson(`${url}/api/v2/users/first`, {
            ...OWNER,
            email: `o${i}@example.com`,
            username: `owner${i}`,
          }),
        ),
      );
      const statuses = attempts.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 409)).to.have.length(7);
    });
  });

  context('when the owner exists', () => {
    let ownerToken: string;
    beforeEach(async () => {
      ownerToken = await setUpOwner(url);
    });

    it('refuses a second first user with 409', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, { ...MEMBER });
      expect(response.status).to.equal(409);
      expect(response.body).to.have.property('message').that.is.a('string');
    });

    it('logs in with a prefixed session token and a session cookie', async () => {
      const response = await postJson(`${url}/api/v2/users/login`, {
        email: OWNER.email,
        password: OWNER.password,
      });
      expect(response.status).to.equal(201);
      const token = (response.body as { session_token: string }).session_token;
      expect(token).to.match(/^lk_sess_[A-Za-z0-9_-]{43}$/);
      const cookie = response.headers.getSetCookie().find((c) => c.startsWith('latchkey_session='));
      expect(cookie).to.equal(`latchkey_session=${token}; HttpOnly; SameSite=Lax; Path=/`);
    });

    it('compares emails case-insensitively at login', async () => {
      const token = await login(url, OWNER.email.toUpperCase(), OWNER.password);
      expect(token).to.match(/^lk_sess_/);
    });

    it('answers GET /users/me for the bearer token and for the cookie', async () => {
      const viaHeader = await request(`${url}/api/v2/users/me`, { headers: bearer(ownerToken) });
      expect(viaHeader.status).to.equal(200);
      expect(viaHeader.body).to.include({ email: OWNER.email, role: 'owner' });
      const viaCookie = await request(`${url}/api/v2/users/me`, {
        headers: { Cookie: `latchkey_session=${ownerToken}` },
      });
      expect(viaCookie.status).to.equal(200);
    });

    it('gives the same 401 for a wrong password and for an unknown email', async () => {
      const wrongPassword = await postJson(`${url}/api/v2/users/login`, {
        email: OWNER.email,
        password: 'not the password',
      });
      const unknownEmail = await postJson(`${url}/api/v2/users/login`, {
        email: 'nobody@example.com',
        password: 'whatever1',
      });
      expect(wrongPassword.status).to.equal(401);
      expect(unknownEmail.status).to.equal(401);
      expect(wrongPassword.body).to.deep.equal(unknownEmail.body);
      expect(wrongPassword.headers.getSetCookie()).to.deep.equal([]);
    });

    it('ends the session at logout, server-side, and clears the cookie', async () => {
      const response = await request(`${url}/api/v2/users/logout`, {
        method: 'POST',
        headers: bearer(ownerToken),
      });
      expect(response.status).to.equal(204);
      expect(response.headers.getSetCookie()).to.include(
        'latchkey_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax',
      );
      const after = await request(`${url}/api/v2/users/me`, { headers: bearer(ownerToken) });
      expect(after.status).to.equal(401);
      expect(after.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
    });

    it('lets the owner create and list users; a member gets 403 without a challenge', async () => {
      const created = await postJson(`${url}/api/v2/users`, MEMBER, bearer(ownerToken));
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ role: 'member', username: MEMBER.username, name: '' });
      const list = await request(`${url}/api/v2/users`, { headers: bearer(ownerToken) });
      expect(list.status).to.equal(200);
      expect((list.body as { username: string }[]).map((u) => u.username)).to.deep.equal(['owner', 'member']);

      const memberToken = await login(url, MEMBER.email, MEMBER.password);
      const forbidden = await request(`${url}/api/v2/users`, { headers: bearer(memberToken) });
      expect(forbidden.status).to.equal(403);
      expect(forbidden.headers.get('www-authenticate')).to.equal(null);
      const forbiddenCreate = await postJson(
        `${url}/api/v2/users`,
        { ...MEMBER, email: 'x@example.com', username: 'x' },
        bearer(memberToken),
      );
      expect(forbiddenCreate.status).to.equal(403);
    });

    it('refuses duplicate emails (any case) and usernames with 409', async () => {
      const first = await postJson(`${url}/api/v2/users`, MEMBER, bearer(ownerToken));
      expect(first.status).to.equal(201);
      const sameEmail = await postJson(
        `${url}/api/v2/users`,
        { ...MEMBER, email: MEMBER.email.toUpperCase(), username: 'other' },
        bearer(ownerToken),
      );
      expect(sameEmail.status).to.equal(409);
      const sameUsername = await postJson(
        `${url}/api/v2/users`,
        { ...MEMBER, email: 'other@example.com' },
        bearer(ownerToken),
      );
      expect(sameUsername.status).to.equal(409);
    });

    it('creates an owner when the role says so', async () => {
      const created = await postJson(`${url}/api/v2/users`, { ...MEMBER, role: 'owner' }, bearer(ownerToken));
      expect(created.status).to.equal(201);
      expect(created.body).to.include({ role: 'owner' });
    });
  });

  context('with bad credentials', () => {
    let ownerToken: string;
    beforeEach(async () => {
      ownerToken = await setUpOwner(url);
    });

    it('answers a request without credentials with the scope challenge', async () => {
      const response = await request(`${url}/api/v2/users/me`);
      expect(response.status).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.equal(
        `Bearer realm="latchkey", resource_metadata="${url}/.well-known/oauth-protected-resource", scope="user:read"`,
      );
    });

    it('ignores an access_token query parameter', async () => {
      const response = await request(`${url}/api/v2/users/me?access_token=${ownerToken}`);
      expect(response.status).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.not.match(/error=/);
    });

    it('calls a malformed and an unknown token invalid_token', async () => {
      for (const token of ['garbage', 'lk_sess_short', `lk_sess_${'A'.repeat(43)}`]) {
        const response = await request(`${url}/api/v2/users/me`, { headers: bearer(token) });
        expect(response.status, token).to.equal(401);
        const challenge = response.headers.get('www-authenticate') ?? '';
        expect(challenge).to.match(
          /^Bearer realm="latchkey", error="invalid_token", error_description="[^"=]+", resource_metadata="/,
        );
      }
    });

    it('refuses two different credentials with 400', async () => {
      const other = await login(url, OWNER.email, OWNER.password);
      const response = await request(`${url}/api/v2/users/me`, {
        headers: { ...bearer(ownerToken), Cookie: `latchkey_session=${other}` },
      });
      expect(response.status).to.equal(400);
    });

    it('does not take an access token from the cookie', async () => {
      const response = await request(`${url}/api/v2/users/me`, {
        headers: { Cookie: `latchkey_session=lk_at_${'A'.repeat(43)}` },
      });
      expect(response.status).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.not.match(/error=/);
    });
  });

  context('with bad input', () => {
    it('names each invalid field in validations', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, {
        email: 'not-an-email',
        username: 'Bad Name',
        password: 'short',
        name: 7,
      });
      expect(response.status).to.equal(400);
      const fields = (response.body as { validations: { field: string }[] }).validations
        .map((v) => v.field)
        .sort();
      expect(fields).to.deep.equal(['email', 'name', 'password', 'username']);
    });

    it('names missing fields', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, {});
      expect(response.status).to.equal(400);
      const fields = (response.body as { validations: { field: string }[] }).validations
        .map((v) => v.field)
        .sort();
      expect(fields).to.deep.equal(['email', 'password', 'username']);
    });

    it('answers a JSON array or a string body with 400', async () => {
      for (const body of ['[]', '"text"', '42']) {
        const response = await postJson(`${url}/api/v2/users/first`, body);
        expect(response.status, body).to.equal(400);
      }
    });

    it('answers malformed JSON with 400', async () => {
      const response = await postJson(`${url}/api/v2/users/login`, '{"email": ');
      expect(response.status).to.equal(400);
      expect(response.body).to.have.property('message');
    });

    it('answers a body over 64 KiB with 413', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, { ...OWNER, name: 'x'.repeat(70 * 1024) });
      expect(response.status).to.equal(413);
    });

    it('answers a wrong content type with 415, before looking at the body', async () => {
      const response = await request(`${url}/api/v2/users/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: JSON.stringify({ email: OWNER.email, password: OWNER.password }),
      });
      expect(response.status).to.equal(415);
      expect(response.headers.getSetCookie()).to.deep.equal([]);
    });

    it('accepts a JSON content type with a charset parameter', async () => {
      const response = await postJson(`${url}/api/v2/users/first`, OWNER, {
        'Content-Type': 'application/json; charset=utf-8',
      });
      expect(response.status).to.equal(201);
    });

    it('answers an unknown route with the 404 JSON body', async () => {
      const response = await request(`${url}/api/v2/nothing-here`);
      expect(response.status).to.equal(404);
      expect(response.body).to.deep.equal({ message: 'Route not found.' });
    });

    it('answers liveness with ok', async () => {
      const response = await request(`${url}/healthz`);
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ status: 'ok' });
      expect((await request(`${url}/readyz`)).status).to.equal(200);
    });
  });

  context('with a setup token configured', () => {
    let guarded: TestServer;
    beforeEach(async () => {
      guarded = await startTestServer({ LATCHKEY_SETUP_TOKEN: 'a-long-setup-token-1234' });
    });
    afterEach(() => guarded.stop());

    it('requires it for the first user', async () => {
      const without = await postJson(`${guarded.url}/api/v2/users/first`, OWNER);
      expect(without.status).to.equal(403);
      const wrong = await postJson(`${guarded.url}/api/v2/users/first`, {
        ...OWNER,
        setup_token: 'wrong-token-000000000',
      });
      expect(wrong.status).to.equal(403);
      const right = await postJson(`${guarded.url}/api/v2/users/first`, {
        ...OWNER,
        setup_token: 'a-long-setup-token-1234',
      });
      expect(right.status).to.equal(201);
    });
  });

  context('with the login rate limit on', () => {
    let limited: TestServer;
    beforeEach(async () => {
      limited = await startTestServer({ LATCHKEY_RATE_LIMIT_LOGIN: '3' });
      await postJson(`${limited.url}/api/v2/users/first`, OWNER);
    });
    afterEach(() => limited.stop());

    it('answers 429 with Retry-After once the per-IP budget is spent', async () => {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i += 1) {
        const response = await postJson(`${limited.url}/api/v2/users/login`, {
          email: OWNER.email,
          password: 'wrong password',
        });
        statuses.push(response.status);
        retryAfter = response.headers.get('retry-after');
      }
      expect(statuses).to.deep.equal([401, 401, 401, 429]);
      expect(Number(retryAfter)).to.be.greaterThan(0);
    });
  });

  it('logs nothing secret', async () => {
    const token = await setUpOwner(url);
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: 'wrong password!' });
    await request(`${url}/api/v2/users/me?access_token=${token}`);
    await request(`${url}/api/v2/users/me`, { headers: bearer(token) });
    await request(`${url}/api/v2/users/logout`, { method: 'POST', headers: bearer(token) });
    const log = server.logs.join('\n');
    expect(server.logs.length).to.be.greaterThan(4);
    expect(log).to.not.include(OWNER.password);
    expect(log).to.not.include('wrong password!');
    expect(log).to.not.include(token);
    expect(log).to.not.include(token.slice('lk_sess_'.length));
    expect(log).to.not.match(/lk_sess_[A-Za-z0-9_-]{10,}/);
    expect(log).to.not.include('c2NyeXB0'); // base64 of the scrypt-kdf hash header
  });

  it('never answers with a cookie value or token in a set-up response', async () => {
    const created = await postJson(`${url}/api/v2/users/first`, OWNER);
    expect(created.text).to.not.include(OWNER.password);
    expect(cookieFrom(created.headers, 'latchkey_session')).to.equal(undefined);
  });
});
