import { expect } from 'chai';
import pg from 'pg';
import { SECRET_PATTERN } from '../http/admin-api.js';
import {
  expectOAuthError,
  expectTokens,
  introspect,
  obtainTokens,
  registerClient,
  tokenRequest,
} from '../oauth/flow-helpers.js';
import { onServerDatabase, requiredServerUrl } from '../support/postgres.js';
import { bearer, freePort, request, startTestServer, timeUntil, type TestServer } from '../support/server.js';
import { cliClient, errorOf, harnessFor, jsonOf, latchkeyHere as latchkey, loginStatus } from './run-cli.js';

const OWNER = { email: 'ops-owner@example.com', username: 'ops-owner', password: 'owner password 1' };
const MEMBER = { email: 'ops-member@example.com', username: 'ops-member', password: 'member password 1' };
const USER_KEYS = ['created_at', 'email', 'id', 'name', 'role', 'username'];

describe('the admin CLI on PostgreSQL (docs/cli.md)', function () {
  // Each run opens the database (and migrates it), as the CLI does: seconds each on a busy machine.
  this.timeout(300_000);
  let database: { url: string; dispose(): Promise<void> } | undefined;
  let env: Record<string, string>;
  let server: TestServer | undefined;
  let port: number;

  before(async function () {
    const serverUrl = requiredServerUrl(() => this.skip());
    database = await onServerDatabase(serverUrl);
    // The CLI is given the server's settings, the issuer among them (it is in every app's endpoints).
    port = await freePort();
    env = {
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LATCHKEY_DATABASE_URL: database.url,
      LATCHKEY_DATABASE_POOL_SIZE: '2',
      LATCHKEY_SCRYPT_LOG_N: '10',
      LATCHKEY_EXTRA_SCOPES: 'reports:read',
      LATCHKEY_SIGNING_KEY_SECRET: 'cli test signing key secret 0123456789abcdef',
    };
  });
  after(async () => {
    await server?.stop();
    await database?.dispose();
  });

  /** A server on the same database, started once the CLI has migrated it. */
  const theServer = async (): Promise<TestServer> => {
    server ??= await startTestServer(
      {
        ...env,
        LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
        LATCHKEY_STORAGE: 'postgres',
      },
      // The server's own maintenance must not purge before `latchkey purge` does (its first tick
      // came between the test's update and the CLI on a loaded machine).
      { maintenanceTickMs: 2 ** 31 - 1 },
    );
    return server;
  };

  /** Runs one statement on the database, as an operator's SQL session would. */
  const sql = async (text: string, values: unknown[]): Promise<number> => {
    const client = new pg.Client({ connectionString: env.LATCHKEY_DATABASE_URL });
    await client.connect();
    try {
      return (await client.query(text, values)).rowCount ?? 0;
    } finally {
      await client.end();
    }
  };

  it('migrate applies every migration on a fresh database, then finds none pending', async () => {
    const first = jsonOf<{ applied: string[] }>(await latchkey(['migrate', '--json'], env));
    expect(first.applied).to.have.length.greaterThan(0);
    expect(first.applied[0]).to.equal('Migration20261127000001Init');
    const again = jsonOf<{ applied: string[] }>(await latchkey(['migrate', '--json'], env));
    expect(again.applied).to.deep.equal([]);
  });

  it('refuses a first user who is not an owner (exit 3) and creates nobody', async () => {
    const refused = await latchkey(
      [
        'user',
        'create',
        '--email',
        MEMBER.email,
        '--username',
        MEMBER.username,
        '--password-stdin',
        '--json',
      ],
      env,
      `${MEMBER.password}\n`,
    );
    expect(errorOf(refused, 3).kind).to.equal('conflict');
    expect(jsonOf<unknown[]>(await latchkey(['user', 'list', '--json'], env))).to.deep.equal([]);
  });

  it('creates the owner from a password on stdin, never printing it; the owner signs in through the server', async () => {
    const run = await latchkey(
      [
        'user',
        'create',
        '--email',
        OWNER.email,
        '--username',
        OWNER.username,
        '--owner',
        '--password-stdin',
        '--json',
      ],
      env,
      `${OWNER.password}\n`,
    );
    const created = jsonOf(run);
    expect(Object.keys(created).sort()).to.deep.equal(USER_KEYS);
    expect(created).to.include({ email: OWNER.email, username: OWNER.username, role: 'owner' });
    expect(run.stdout + run.stderr).not.to.include(OWNER.password);
    const { url } = await theServer();
    expect(await loginStatus(url, OWNER.email, OWNER.password)).to.equal(201);
    expect(await loginStatus(url, OWNER.email, 'not the password')).to.equal(401);
  });

  it('creates members from the environment or a generated password, and refuses a taken email (exit 3)', async () => {
    const member = jsonOf(
      await latchkey(['user', 'create', '--email', MEMBER.email, '--username', MEMBER.username, '--json'], {
        ...env,
        LATCHKEY_USER_PASSWORD: MEMBER.password,
      }),
    );
    expect(member).to.include({ role: 'member' });
    const generated = jsonOf(
      await latchkey(
        [
          'user',
          'create',
          '--email',
          'gen@example.com',
          '--username',
          'gen',
          '--generate-password',
          '--json',
        ],
        env,
      ),
    );
    expect(generated.password).to.be.a('string');
    const { url } = await theServer();
    expect(await loginStatus(url, MEMBER.email, MEMBER.password)).to.equal(201);
    expect(await loginStatus(url, 'gen@example.com', generated.password as string)).to.equal(201);

    const taken = await latchkey(
      [
        'user',
        'create',
        '--email',
        OWNER.email.toUpperCase(),
        '--username',
        'another',
        '--password-stdin',
        '--json',
      ],
      env,
      'a good password\n',
    );
    expect(errorOf(taken, 3).kind).to.equal('conflict');

    const users = jsonOf<{ username: string }[]>(await latchkey(['user', 'list', '--json'], env));
    expect(users.map((u) => u.username)).to.deep.equal([OWNER.username, MEMBER.username, 'gen']);
    const page = jsonOf<{ username: string }[]>(
      await latchkey(['user', 'list', '--limit', '1', '--offset', '1', '--json'], env),
    );
    expect(page.map((u) => u.username)).to.deep.equal([MEMBER.username]);
    const human = await latchkey(['user', 'list'], env);
    expect(human.code).to.equal(0);
    expect(human.stdout.split('\n').filter((line) => line.includes('@example.com'))).to.have.length(3);
  });

  it('creates an app and a secret the token endpoint accepts; grants revoke ends its tokens, audited as the system', async () => {
    const app = jsonOf(
      await latchkey(
        [
          'app',
          'create',
          '--name',
          'ops-app',
          '--callback-url',
          'https://ops.example.com/callback',
          '--redirect-uri',
          'https://ops.example.com/other',
          '--json',
        ],
        env,
      ),
    );
    expect(app).to.include({ name: 'ops-app', client_type: 'confidential', dynamically_registered: false });
    expect(app.redirect_uris).to.deep.equal([
      'https://ops.example.com/callback',
      'https://ops.example.com/other',
    ]);
    const secretRun = await latchkey(['secret', 'create', app.id as string, '--json'], env);
    const secret = jsonOf<{ id: string; client_secret_full: string }>(secretRun);
    expect(Object.keys(secret).sort()).to.deep.equal(['client_secret_full', 'id']);
    expect(secret.client_secret_full).to.match(SECRET_PATTERN);

    const h = await harnessFor(await theServer(), OWNER.email, OWNER.password);
    // The admin API shows what the CLI printed.
    expect((await h.api.get(app.id as string)).body).to.deep.equal(app);
    const client = cliClient(app, secret);
    const tokens = await obtainTokens(h, client);
    expect((await introspect(h.url, client, tokens.access_token)).body).to.include({ active: true });

    const ownerId = (await request(`${h.url}/api/v2/users/me`, { headers: bearer(h.session) })).body as {
      id: string;
    };
    const revoked = jsonOf<{ user_id: string; client_id: string; revoked_grants: string[] }>(
      await latchkey(['grants', 'revoke', '--user', OWNER.email, '--client', client.id, '--json'], env),
    );
    expect(revoked.user_id).to.equal(ownerId.id);
    expect(revoked.client_id).to.equal(client.id);
    expect(revoked.revoked_grants).to.have.length(1);
    // Another process's change: the server sees it within its lookup cache's TTL (1 s by default).
    const inactive = async (token: string) =>
      ((await introspect(h.url, client, token)).body as { active?: unknown }).active === false;
    expect(await timeUntil(() => inactive(tokens.access_token), 2_000)).to.be.a('number');
    expect((await introspect(h.url, client, tokens.access_token)).body).to.deep.equal({ active: false });
    expect((await introspect(h.url, client, tokens.refresh_token)).body).to.deep.equal({ active: false });

    const audit = await request(`${h.url}/api/v2/audit-logs?resource_type=oauth2_grant&action=revoke`, {
      headers: bearer(h.session),
    });
    const [entry] = (audit.body as { audit_logs: Record<string, unknown>[] }).audit_logs;
    expect(entry).to.include({ resource_id: revoked.revoked_grants[0], status: 204, ip: '' });
    expect(entry).not.to.have.property('actor_id');
    expect(entry?.user_agent).to.match(/^latchkey cli/);
    expect(entry?.diff).to.deep.equal({ client_id: { old: client.id }, user_id: { old: ownerId.id } });

    // Nothing left to revoke: still exit 0, with no grants.
    const again = jsonOf<{ revoked_grants: string[] }>(
      await latchkey(['grants', 'revoke', '--user', ownerId.id, '--client', client.id, '--json'], env),
    );
    expect(again.revoked_grants).to.deep.equal([]);
  });

  it('lists, shows and deletes apps and secrets; what is gone is refused with exit 3', async () => {
    const app = jsonOf(
      await latchkey(
        ['app', 'create', '--name', 'doomed', '--callback-url', 'https://doomed.example.com/cb', '--json'],
        env,
      ),
    );
    const id = app.id as string;
    const secret = jsonOf<{ id: string; client_secret_full: string }>(
      await latchkey(['secret', 'create', id, '--json'], env),
    );
    const listed = jsonOf<Record<string, unknown>[]>(await latchkey(['secret', 'list', id, '--json'], env));
    expect(listed.map((s) => [s.id, s.client_secret_truncated])).to.deep.equal([
      [secret.id, secret.client_secret_full.slice(-6)],
    ]);
    expect(jsonOf(await latchkey(['app', 'show', id, '--json'], env))).to.deep.equal(app);
    const apps = jsonOf<{ id: string }[]>(
      await latchkey(['app', 'list', '--dynamically-registered', 'false', '--json'], env),
    );
    expect(apps.map((a) => a.id)).to.include(id);

    const h = await harnessFor(await theServer(), OWNER.email, OWNER.password);
    const client = cliClient(app, secret);
    expect((await introspect(h.url, client, 'lk_at_unknown')).status).to.equal(200);
    expect(jsonOf(await latchkey(['secret', 'delete', id, secret.id, '--json'], env))).to.include({
      deleted: true,
    });
    // The deleted secret no longer authenticates (docs/http-api.md#apps), within the running
    // server's lookup cache TTL.
    expect(
      await timeUntil(async () => (await introspect(h.url, client, 'lk_at_unknown')).status === 401, 2_000),
    ).to.be.a('number');
    expect(errorOf(await latchkey(['secret', 'delete', id, secret.id, '--json'], env), 3).kind).to.equal(
      'not_found',
    );

    expect(jsonOf(await latchkey(['app', 'delete', id, '--json'], env))).to.deep.equal({ id, deleted: true });
    // The running server sees the CLI's deletion within its lookup cache's TTL.
    expect(await timeUntil(async () => (await h.api.get(id)).status === 404, 2_000)).to.be.a('number');
    expect(errorOf(await latchkey(['app', 'show', id, '--json'], env), 3).kind).to.equal('not_found');
    expect(errorOf(await latchkey(['app', 'delete', id, '--json'], env), 3).kind).to.equal('not_found');
    const unknownUser = await latchkey(
      ['grants', 'revoke', '--user', 'nobody@example.com', '--client', id, '--json'],
      env,
    );
    expect(errorOf(unknownUser, 3).kind).to.equal('not_found');
  });

  it('enables and disables the client credentials grant of an app (docs/cli.md#app-client-credentials)', async () => {
    const app = jsonOf(
      await latchkey(
        [
          'app',
          'create',
          '--name',
          'batch-job',
          '--callback-url',
          'https://batch.example.com/cb',
          '--client-credentials-scope',
          'reports:read',
          '--json',
        ],
        env,
      ),
    );
    const id = app.id as string;
    expect(app.grant_types).to.include('client_credentials');
    expect(app.client_credentials_scope).to.equal('reports:read');
    const secret = jsonOf<{ id: string; client_secret_full: string }>(
      await latchkey(['secret', 'create', id, '--json'], env),
    );
    const h = await harnessFor(await theServer(), OWNER.email, OWNER.password);
    const client = cliClient(app, secret);
    const machineToken = () => tokenRequest(h.url, client, [['grant_type', 'client_credentials']]);
    expect(expectTokens(await machineToken()).scope).to.equal('reports:read');

    const disabled = jsonOf(await latchkey(['app', 'client-credentials', id, '--disable', '--json'], env));
    expect(disabled.grant_types).to.deep.equal(['authorization_code', 'refresh_token']);
    expect(disabled).to.include({ name: 'batch-job', callback_url: 'https://batch.example.com/cb' });
    // The running server sees the CLI's change within its lookup cache's TTL.
    const refusedNow = async () => (await machineToken()).status === 400;
    expect(await timeUntil(refusedNow, 2_000)).to.be.a('number');
    expectOAuthError(await machineToken(), 400, 'unauthorized_client');

    const enabled = jsonOf(
      await latchkey(['app', 'client-credentials', id, '--scope', 'reports:read', '--json'], env),
    );
    expect(enabled.client_credentials_scope).to.equal('reports:read');
    expect(await timeUntil(async () => (await machineToken()).status === 200, 2_000)).to.be.a('number');
    expectTokens(await machineToken());

    const refused = await latchkey(['app', 'client-credentials', id, '--scope', 'mcp', '--json'], env);
    expect((errorOf(refused, 2).validations as { field: string }[]).map((v) => v.field)).to.deep.equal([
      'client_credentials_scope',
    ]);
    expect((await latchkey(['app', 'client-credentials', id, '--json'], env)).code).to.equal(2);
  });

  it('refuses values the domain refuses with exit 2, naming the field', async () => {
    const refused = await latchkey(
      [
        'app',
        'create',
        '--name',
        'bad-uri',
        '--callback-url',
        'https://a.example.com/cb',
        '--redirect-uri',
        'javascript:alert(1)',
        '--json',
      ],
      env,
    );
    const error = errorOf(refused, 2);
    expect(error.kind).to.equal('bad_request');
    expect((error.validations as { field: string }[]).map((v) => v.field)).to.deep.equal([
      'redirect_uris[1]',
    ]);
  });

  it('purge deletes an abandoned registration and expired rows', async () => {
    const h = await harnessFor(await theServer(), OWNER.email, OWNER.password);
    const registered = await registerClient(h, {
      redirect_uris: ['https://abandoned.example.com/cb'],
      client_name: 'abandoned',
    });
    const fresh = await registerClient(h, {
      redirect_uris: ['https://fresh.example.com/cb'],
      client_name: 'fresh',
    });
    // Registered two days ago without a single token request: abandoned (docs/http-api.md#registration).
    expect(
      await sql("update oauth2_clients set created_at = now() - interval '2 days' where id = $1", [
        registered.id,
      ]),
    ).to.equal(1);
    const expiredSession = await harnessFor(h.server, OWNER.email, OWNER.password);
    expect(
      await sql(
        "update api_keys set expires_at = now() - interval '1 hour' where kind = 'session' and expires_at > now()",
        [],
      ),
    ).to.be.greaterThan(0);

    const purged = jsonOf<{ abandoned_clients: number; expired_rows: number }>(
      await latchkey(['purge', '--json'], env),
    );
    expect(purged.abandoned_clients).to.equal(1);
    expect(purged.expired_rows).to.be.greaterThan(0);
    const owner = await harnessFor(h.server, OWNER.email, OWNER.password);
    expect(await timeUntil(async () => (await owner.api.get(registered.id)).status === 404, 2_000)).to.be.a(
      'number',
    );
    expect((await owner.api.get(fresh.id)).status).to.equal(200);
    expect(await sql("select 1 from api_keys where kind = 'session' and expires_at < now()", [])).to.equal(0);
    expect(
      (await request(`${h.url}/api/v2/users/me`, { headers: bearer(expiredSession.session) })).status,
    ).to.equal(401);
  });

  it('lists the signing keys and rotates them (docs/cli.md#keys)', async () => {
    await theServer();
    const before = jsonOf<{ keys: { kid: string; alg: string; state: string }[] }>(
      await latchkey(['keys', 'list', '--json'], env),
    );
    expect(before.keys.map((k) => [k.alg, k.state])).to.deep.equal([
      ['ES256', 'active'],
      ['RS256', 'active'],
    ]);
    const rotated = jsonOf<{ added: { kid: string; alg: string; state: string; generation: number }[] }>(
      await latchkey(['keys', 'rotate', '--json'], env),
    );
    // Published now, signing only after the pre-publish period (a day by default).
    expect(rotated.added.map((k) => [k.alg, k.state, k.generation])).to.deep.equal([
      ['ES256', 'pending', 2],
      ['RS256', 'pending', 2],
    ]);
    const jwks = (await request(`${env.LATCHKEY_PUBLIC_URL ?? ''}/oauth2/jwks`)).body as {
      keys: { kid: string }[];
    };
    expect(jwks.keys.map((k) => k.kid)).to.include.members([
      ...before.keys.map((k) => k.kid),
      ...rotated.added.map((k) => k.kid),
    ]);
  });

  it('refuses to start a server on this database without LATCHKEY_SIGNING_KEY_SECRET', async () => {
    const { LATCHKEY_SIGNING_KEY_SECRET: _secret, ...withoutSecret } = env;
    const port2 = await freePort();
    let failure: unknown;
    try {
      const started = await startTestServer({
        ...withoutSecret,
        LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port2}`,
        LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port2}`,
        LATCHKEY_STORAGE: 'postgres',
      });
      await started.stop();
    } catch (error) {
      failure = error;
    }
    expect((failure as Error | undefined)?.name).to.equal('MissingSigningKeySecretError');
  });
});
