import { createServer } from 'node:net';
import {
  createLogger,
  decodeConfig,
  generateSigningKeyPair,
  startLatchkey,
  type KeyPairSource,
  type Overrides,
  type RunningLatchkey,
} from '@latchkey/app';
import * as E from 'fp-ts/lib/Either.js';
import { forgetRecorder, OpenApiRecorder, OpenApiViolations, watchRecorder } from './openapi.js';
import { withPostgres, type PostgresHarness } from './postgres.js';

export interface TestServer {
  /** The issuer, which is also where the server listens. */
  readonly url: string;
  /** Every log line written so far, raw JSON text. */
  readonly logs: string[];
  readonly running: RunningLatchkey;
  /** Checks every exchange against the OpenAPI document (support/openapi.ts). */
  readonly openapi: OpenApiRecorder;
  /** Stops the server; rejects with the OpenAPI violations not yet reported, if any. */
  stop(): Promise<void>;
}

/** A free loopback port, so that the issuer can name the port the server will listen on. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => {
        resolve(port);
      });
    });
  });

/** The storage servers start on when a test gives none: set by `describeOnBothStorages`. */
let ambientStorage: (() => Promise<NonNullable<Overrides['storage']>>) | undefined;

/**
 * Declares a suite twice, on the in-memory adapters and on PostgreSQL: in the second, every
 * `startTestServer` without a storage of its own runs on one PostgreSQL database per suite,
 * emptied at each start (so a test must be done with one server before it starts another whose
 * data it relies on).
 */
export const describeOnBothStorages = (
  title: string,
  body: (storage: 'in-memory' | 'PostgreSQL') => void,
): void => {
  describe(`${title}, in-memory storage`, () => {
    body('in-memory');
  });
  describe(`${title}, PostgreSQL storage`, () => {
    let pg: PostgresHarness | undefined;
    before(async () => {
      const harness = await withPostgres();
      pg = harness;
      ambientStorage = async () => {
        await harness.truncate();
        // The harness owns the database; a server must not close it when it stops.
        return { ...harness.storage, close: () => Promise.resolve() };
      };
    });
    after(async () => {
      ambientStorage = undefined;
      await pg?.cleanup();
    });
    body('PostgreSQL');
  });
};

/**
 * Signing key pairs for test servers: a few per algorithm, made once per process and handed out
 * in turn (so a rotation still gets a pair other than the last). Every fresh store makes a first
 * key of each algorithm, and a 2048-bit RSA pair takes a tenth of a second or more to generate.
 * Two test servers may thus sign with the same key material under different `kid`s: a test of
 * one instance refusing another's signature must give its servers `generateSigningKeyPair`.
 */
const TEST_KEY_PAIRS_PER_ALG = 3;
const testKeyPairs = new Map<string, { pairs: Array<ReturnType<KeyPairSource>>; next: number }>();

export const testSigningKeyPairs: KeyPairSource = (alg) => {
  const pool = testKeyPairs.get(alg) ?? { pairs: [], next: 0 };
  testKeyPairs.set(alg, pool);
  const index = pool.next % TEST_KEY_PAIRS_PER_ALG;
  pool.next += 1;
  pool.pairs[index] ??= generateSigningKeyPair(alg);
  return pool.pairs[index];
};

/**
 * Starts the real composition (container, storage, Koa) on a loopback port. In-memory storage
 * unless `overrides.storage` is given or the suite runs on PostgreSQL (`describeOnBothStorages`);
 * cheap scrypt; login rate limit off unless `env` sets it. Every request and answer is checked
 * against the OpenAPI document; a violation fails the test during which it happened (a mocha
 * root hook, support/openapi-hooks.ts) or, at the latest, `stop()`. Middleware given in
 * `overrides.httpMiddleware` runs inside the check.
 */
export const startTestServer = async (
  env: Record<string, string> = {},
  givenOverrides: Overrides = {},
): Promise<TestServer> => {
  const openapi = new OpenApiRecorder();
  const withCheck: Overrides = {
    signingKeyPairs: testSigningKeyPairs,
    ...givenOverrides,
    httpMiddleware: [openapi.middleware, ...(givenOverrides.httpMiddleware ?? [])],
  };
  const overrides =
    withCheck.storage === undefined && ambientStorage !== undefined
      ? { ...withCheck, storage: await ambientStorage() }
      : withCheck;
  const port = await freePort();
  const config = decodeConfig({
    LATCHKEY_STORAGE: 'memory',
    LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
    LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
    LATCHKEY_SCRYPT_LOG_N: '10',
    LATCHKEY_RATE_LIMIT_LOGIN: '0',
    LATCHKEY_LOG_LEVEL: 'info',
    ...env,
  });
  if (E.isLeft(config)) throw new Error(`bad test configuration: ${config.left.join('; ')}`);
  const logs: string[] = [];
  const logger = createLogger(config.right.logLevel, {
    write: (line: string) => {
      logs.push(line);
    },
  });
  const running = await startLatchkey(config.right, logger, overrides);
  watchRecorder(openapi);
  const stop = async (): Promise<void> => {
    await running.stop();
    forgetRecorder(openapi);
    const violations = openapi.take();
    if (violations.length > 0) throw new OpenApiViolations(violations);
  };
  return { url: config.right.issuer, logs, running, openapi, stop };
};

export interface JsonResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: unknown;
}

/** `fetch` without following redirects, with the body read as text and parsed when JSON. */
export const request = async (url: string, init: RequestInit = {}): Promise<JsonResponse> => {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  let body: unknown = undefined;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '')
    body = JSON.parse(text) as unknown;
  return { status: response.status, headers: response.headers, text, body };
};

export const postJson = (
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<JsonResponse> =>
  request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

export const bearer = (token: string): Record<string, string> => ({ Authorization: `Bearer ${token}` });

export const OWNER = {
  email: 'owner@example.com',
  username: 'owner',
  password: 'correct horse battery',
  name: 'Olive Owner',
};
export const MEMBER = { email: 'member@example.com', username: 'member', password: 'member password 1' };

/** Creates the owner and returns a session token for it. */
export const setUpOwner = async (url: string): Promise<string> => {
  const created = await postJson(`${url}/api/v2/users/first`, OWNER);
  if (created.status !== 201) throw new Error(`first user: ${created.status} ${created.text}`);
  return login(url, OWNER.email, OWNER.password);
};

export const login = async (url: string, email: string, password: string): Promise<string> => {
  const response = await postJson(`${url}/api/v2/users/login`, { email, password });
  if (response.status !== 201) throw new Error(`login: ${response.status} ${response.text}`);
  return (response.body as { session_token: string }).session_token;
};

/** The `name=value` of a `Set-Cookie` header, for sending back. */
export const cookieFrom = (headers: Headers, name: string): string | undefined =>
  headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith(`${name}=`));

/**
 * Polls `check` until it returns `true` or `withinMs` has passed since the call, and answers how
 * long it took, or `undefined` when it never held. For changes another process makes, which a
 * server sees within a stated bound (docs/scaling.md#the-lookup-cache), not at once.
 */
export const timeUntil = async (
  check: () => Promise<boolean>,
  withinMs: number,
): Promise<number | undefined> => {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
