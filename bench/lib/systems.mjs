// The systems under test, each ONE Node.js process forked with an IPC channel, and the throw-away
// PostgreSQL database of the PostgreSQL variant.
import { fork, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, URL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const BENCH_DIR = join(here, '..');

/** A free loopback port, so that the issuer can name the port the server will listen on. */
export const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });

/** Environment of the Latchkey processes (docs/http-api.md#configuration), besides storage and address. */
export const LATCHKEY_BENCH_ENV = {
  LATCHKEY_RATE_LIMIT_TOKEN: '0',
  LATCHKEY_RATE_LIMIT_REGISTER: '0',
  LATCHKEY_RATE_LIMIT_LOGIN: '0',
  LATCHKEY_LOG_LEVEL: 'warn',
  LATCHKEY_SCRYPT_LOG_N: '10',
  // Codes are minted before a round and must outlive it (the contract's maximum is 10 minutes).
  LATCHKEY_CODE_TTL: '600',
};

/**
 * The V8 flags every server process runs with, Latchkey and oidc-provider alike, so the ratio
 * compares code and not runtime settings: the young generation Latchkey's `pnpm start` uses
 * (see docs/deployment.md).
 * - `--max-semi-space-size=32`: with Node's default young generation, once a server holds a few
 *   hundred thousand tokens, objects of requests still in flight are promoted at every few
 *   hundred requests, and the large old generation is marked again and again as it grows.
 * - `--min-semi-space-size=16`: V8's memory reducer, which runs when a server goes quiet (between
 *   scenarios), shrinks the young generation, and it grows back only as objects survive young
 *   collections, which under a load whose objects all die young may take long or never happen.
 *   A server holding hundreds of thousands of tokens then ran some thousand collections of a
 *   2-3 MB young generation per 30 s, each costing 3.5 ms of fixed work over the large heap:
 *   introspection cost 14-40% more than on the build before (bench/results.md, "Against the
 *   build before the refactor"), and 47% more than on the same build with this floor.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32', '--min-semi-space-size=16'];

/**
 * Forks `script` (a path relative to bench/, or absolute) with the V8 flags `nodeFlags` and waits
 * for its `{type: 'ready', url}`. `cpuProfDir` adds `--cpu-prof`.
 * Returns `{name, url, pid, child, send, request(type), stop()}`.
 */
const startProcess = async (name, script, env, { cpuProfDir, nodeFlags = SERVER_NODE_FLAGS } = {}) => {
  const execArgv = [
    ...nodeFlags,
    ...(cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`]),
  ];
  const child = fork(resolve(here, '..', script), [], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready`));
    });
    child.on('message', (message) => {
      if (message?.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      }
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** Sends `message` and resolves with the next message of type `answer`. */
  const ask = (message, answer) =>
    new Promise((resolve) => {
      const listener = (reply) => {
        if (reply?.type === answer) {
          child.off('message', listener);
          resolve(reply);
        }
      };
      child.on('message', listener);
      child.send(message);
    });
  return {
    name,
    url: ready.url,
    metricsUrl: ready.metricsUrl,
    pid: ready.pid,
    child,
    ask,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send({ type: 'stop' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
};

/**
 * Starts Latchkey; `metrics` turns its Prometheus metrics on (`LATCHKEY_METRICS_ADDRESS` on
 * another free loopback port), so that their cost can be measured beside a server without them.
 * `checkout` runs another checkout's build (its bench/latchkey-server.mjs, which loads that
 * checkout's packages) under this checkout's settings; `nodeFlags` replaces SERVER_NODE_FLAGS.
 */
export const startLatchkey = async (
  name,
  { databaseUrl, cpuProfDir, metrics = false, checkout, nodeFlags } = {},
) => {
  const port = await freePort();
  return startProcess(
    name,
    checkout === undefined ? 'latchkey-server.mjs' : resolve(checkout, 'bench', 'latchkey-server.mjs'),
    {
      ...LATCHKEY_BENCH_ENV,
      LATCHKEY_STORAGE: databaseUrl === undefined ? 'memory' : 'postgres',
      ...(databaseUrl === undefined
        ? {}
        : {
            LATCHKEY_DATABASE_URL: databaseUrl,
            LATCHKEY_SIGNING_KEY_SECRET: randomBytes(32).toString('base64url'),
          }),
      LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      ...(metrics ? { LATCHKEY_METRICS_ADDRESS: `127.0.0.1:${await freePort()}` } : {}),
    },
    { cpuProfDir, nodeFlags },
  );
};

/** The one confidential client oidc-provider is configured with. */
export const OIDC_CLIENT = {
  id: 'bench-client',
  secret: randomBytes(32).toString('base64url'),
  redirectUri: 'https://client.example.com/callback',
};

export const startOidcProvider = async (name, { cpuProfDir } = {}) => {
  const port = await freePort();
  return startProcess(
    name,
    'oidc-server.mjs',
    { BENCH_PORT: String(port), BENCH_OIDC_CLIENT: JSON.stringify(OIDC_CLIENT) },
    { cpuProfDir },
  );
};

/**
 * Starts the framework's own ceiling (`bench/koa-ceiling.mjs`): a bare Koa app that answers every
 * request with the status and body size it was last told over IPC.
 */
export const startKoaCeiling = async (name, { cpuProfDir } = {}) => {
  const port = await freePort();
  return startProcess(name, 'koa-ceiling.mjs', { BENCH_PORT: String(port) }, { cpuProfDir });
};

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** The server the PostgreSQL variant uses: `BENCH_PG_URL`, default the local server, user postgres. */
export const PG_SERVER_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const has = (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;

/** psql with `sql` on `url`; throws with psql's message on failure; returns stdout. */
export const psql = (url, sql, { input } = {}) => {
  const args = [url, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-A', '-t'];
  const result = spawnSync('psql', input === undefined ? [...args, '-c', sql] : args, {
    encoding: 'utf8',
    input,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr || result.error?.message}`);
  return result.stdout;
};

/** Why the PostgreSQL variant cannot run, or undefined when it can. */
export const postgresUnavailable = () => {
  if (!has('psql')) return 'psql is not installed';
  if (!has('pgbench')) return 'pgbench is not installed (Debian: postgresql-contrib, or the server package)';
  try {
    psql(PG_SERVER_URL, 'select 1');
  } catch (error) {
    return `PostgreSQL at ${PG_SERVER_URL} is not reachable (${error.message.trim()})`;
  }
  return undefined;
};

/** Creates `latchkey_bench_<random>`; returns `{url, name, drop()}`. */
export const createBenchDatabase = () => {
  const name = `latchkey_bench_${randomBytes(6).toString('hex')}`;
  psql(PG_SERVER_URL, `create database ${name}`);
  const url = new URL(PG_SERVER_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => psql(PG_SERVER_URL, `drop database if exists ${name} with (force)`),
  };
};
