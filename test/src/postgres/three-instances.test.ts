import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { adminApi } from '../http/admin-api.js';
import {
  createClient,
  exchange,
  introspect,
  obtainCode,
  obtainTokens,
  refresh,
  revoke,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { onServerDatabase, requiredServerUrl } from '../support/postgres.js';
import { bearer, freePort, postJson, request, setUpOwner, type JsonResponse } from '../support/server.js';

/** `packages/app/dist/main.js`, what `pnpm start` runs, beside the app package's entry point. */
const MAIN = fileURLToPath(new URL('./main.js', import.meta.resolve('@latchkey/app')));

const LOGIN_LIMIT = 5;
const REGISTER_LIMIT = 4;

interface Instance {
  readonly url: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
const eventually = async (condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

const ready = async (url: string): Promise<boolean> => {
  try {
    const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
};

/** A server process as an operator starts it, on its own port, with the deployment's settings. */
const spawnInstance = async (env: Record<string, string>): Promise<Instance> => {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env, LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return { url: `http://127.0.0.1:${port}`, child, output: () => output };
};

const stopInstance = async (instance: Instance): Promise<void> => {
  if (instance.child.exitCode !== null || instance.child.signalCode !== null) return;
  const exited = once(instance.child, 'exit');
  instance.child.kill('SIGTERM');
  const killer = setTimeout(() => instance.child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
};

const statuses = (responses: readonly JsonResponse[]): string => responses.map((r) => r.status).join();
const count = (responses: readonly JsonResponse[], status: number): number =>
  responses.filter((r) => r.status === status).length;

/** `perInstance` copies of `send` at each instance, all in flight at once. */
const atAllAtOnce = (
  instances: readonly Instance[],
  perInstance: number,
  send: (url: string) => Promise<JsonResponse>,
): Promise<JsonResponse[]> =>
  Promise.all(instances.flatMap((instance) => Array.from({ length: perInstance }, () => send(instance.url))));

/*
 * Three server processes on one PostgreSQL database, as a deployment behind a load balancer runs
 * them (docs/deployment.md#several-instances-on-one-database): one issuer, any instance answers
 * any request.
 */
describe('three instances on one PostgreSQL database (docs/deployment.md#several-instances-on-one-database)', function () {
  this.timeout(180_000);
  let database: { url: string; dispose(): Promise<void> } | undefined;
  let instances: Instance[] = [];
  let h: OAuthHarness;

  before(async function () {
    const serverUrl = requiredServerUrl(() => this.skip());
    database = await onServerDatabase(serverUrl);
    const issuerPort = await freePort();
    const env = {
      LATCHKEY_STORAGE: 'postgres',
      LATCHKEY_DATABASE_URL: database.url,
      // Every instance is given the same secret (docs/openid-connect.md#signing-keys).
      LATCHKEY_SIGNING_KEY_SECRET: 'three instances signing key secret 0123456789',
      LATCHKEY_DATABASE_POOL_SIZE: '3',
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${issuerPort}`,
      LATCHKEY_SCRYPT_LOG_N: '10',
      LATCHKEY_LOG_LEVEL: 'warn',
      // The client address is the last X-Forwarded-For entry, so that each case has addresses of
      // its own, unspent by the others.
      LATCHKEY_TRUST_PROXY: '1',
      LATCHKEY_RATE_LIMIT_LOGIN: String(LOGIN_LIMIT),
      LATCHKEY_RATE_LIMIT_REGISTER: String(REGISTER_LIMIT),
    };
    // All three start at once, as after a deployment: they migrate one after the other.
    instances = await Promise.all([0, 1, 2].map(() => spawnInstance(env)));
    for (const instance of instances)
      expect(await eventually(() => ready(instance.url), 60_000), instance.output()).to.equal(true);
    const [first] = instances;
    if (first === undefined) throw new Error('no instance');
    const session = await setUpOwner(first.url);
    // The owner's browser and the admin API talk to the first instance; the helpers need no more.
    h = { url: first.url, session, api: adminApi(first.url, session) } as OAuthHarness;
  });
  after(async () => {
    await Promise.all(instances.map(stopInstance));
    await database?.dispose();
  });

  it('redeems one code fired at all three at once exactly once', async () => {
    const client = await createClient(h);
    const code = await obtainCode(h, client);
    const responses = await atAllAtOnce(instances, 3, (url) => exchange(url, client, code));
    expect(count(responses, 200), statuses(responses)).to.equal(1);
    expect(count(responses, 400), statuses(responses)).to.equal(responses.length - 1);
  });

  it('rotates one refresh token fired at all three at once at most twice (the reuse grace window)', async () => {
    const client = await createClient(h);
    const tokens = await obtainTokens(h, client);
    const responses = await atAllAtOnce(instances, 3, (url) => refresh(url, client, tokens.refresh_token));
    expect(count(responses, 200), statuses(responses)).to.be.within(1, 2);
    expect(count(responses, 400), statuses(responses)).to.equal(responses.length - count(responses, 200));
  });

  it('honours on the other two a revocation made on one, within 2 s', async () => {
    const [one, two, three] = instances;
    if (one === undefined || two === undefined || three === undefined) throw new Error('no instances');
    const client = await createClient(h);
    const tokens = await obtainTokens(h, client);
    for (const instance of [two, three])
      expect((await introspect(instance.url, client, tokens.access_token)).body).to.include({ active: true });
    expect((await revoke(one.url, client, tokens.refresh_token)).status).to.equal(200);
    const revokedEverywhere = async (): Promise<boolean> => {
      for (const instance of [two, three]) {
        const introspected = await introspect(instance.url, client, tokens.access_token);
        const me = await request(`${instance.url}/api/v2/users/me`, { headers: bearer(tokens.access_token) });
        if ((introspected.body as { active?: boolean }).active !== false || me.status !== 401) return false;
      }
      return true;
    };
    expect(await eventually(revokedEverywhere, 2000), 'still active on another instance after 2 s').to.equal(
      true,
    );
    const refreshed = await refresh(three.url, client, tokens.refresh_token);
    expect(refreshed.status, refreshed.text).to.equal(400);
  });

  it('holds the login limit for the deployment: of N+4 attempts spread over the three, N are checked', async () => {
    const address = { 'X-Forwarded-For': '198.51.100.23' };
    let turn = 0;
    const attempts = await Promise.all(
      Array.from({ length: LOGIN_LIMIT + 4 }, () => {
        const instance = instances[turn++ % instances.length];
        return postJson(
          `${instance?.url ?? ''}/api/v2/users/login`,
          { email: 'owner@example.com', password: 'not the password' },
          address,
        );
      }),
    );
    expect(count(attempts, 401), statuses(attempts)).to.equal(LOGIN_LIMIT);
    expect(count(attempts, 429), statuses(attempts)).to.equal(4);
    // Another address still has its whole budget, on any instance.
    const other = await postJson(
      `${instances[2]?.url ?? ''}/api/v2/users/login`,
      { email: 'owner@example.com', password: 'not the password' },
      { 'X-Forwarded-For': '198.51.100.24' },
    );
    expect(other.status, other.text).to.equal(401);
  });

  it('holds the registration limit for the deployment: of N+3 registrations spread over the three, N succeed', async () => {
    let turn = 0;
    const registrations = await Promise.all(
      Array.from({ length: REGISTER_LIMIT + 3 }, (_, i) => {
        const instance = instances[turn++ % instances.length];
        return postJson(
          `${instance?.url ?? ''}/oauth2/register`,
          { redirect_uris: [`https://spread${i}.example.com/cb`], token_endpoint_auth_method: 'none' },
          { 'X-Forwarded-For': '198.51.100.25' },
        );
      }),
    );
    expect(count(registrations, 201), statuses(registrations)).to.equal(REGISTER_LIMIT);
    expect(count(registrations, 429), statuses(registrations)).to.equal(3);
    for (const refused of registrations.filter((r) => r.status === 429))
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 60);
  });

  it('tells every instance of a sign-in on one, so an attack on the account does not lock its owner out', async () => {
    // The owner signs in from this address through the first instance…
    const home = { 'X-Forwarded-For': '198.51.100.30' };
    const signedIn = await postJson(
      `${instances[0]?.url ?? ''}/api/v2/users/login`,
      { email: 'owner@example.com', password: 'correct horse battery' },
      home,
    );
    expect(signedIn.status, signedIn.text).to.equal(201);
    // …then failures for the account, from many addresses, use up its failure budget (10 × N)…
    const failures = await Promise.all(
      Array.from({ length: LOGIN_LIMIT * 10 }, (_, i) =>
        postJson(
          `${instances[i % 3]?.url ?? ''}/api/v2/users/login`,
          { email: 'owner@example.com', password: 'guess' },
          { 'X-Forwarded-For': `203.0.113.${i + 1}` },
        ),
      ),
    );
    expect(count(failures, 401), statuses(failures)).to.equal(LOGIN_LIMIT * 10);
    // …so a new address is refused, on any instance, while the owner's address is only slowed.
    const stranger = await postJson(
      `${instances[1]?.url ?? ''}/api/v2/users/login`,
      { email: 'owner@example.com', password: 'correct horse battery' },
      { 'X-Forwarded-For': '203.0.113.200' },
    );
    expect(stranger.status, stranger.text).to.equal(429);
    const owner = await postJson(
      `${instances[2]?.url ?? ''}/api/v2/users/login`,
      { email: 'owner@example.com', password: 'correct horse battery' },
      home,
    );
    expect(owner.status, owner.text).to.equal(201);
  });
});
