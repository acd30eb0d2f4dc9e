// Resident memory of one Latchkey process, started as `pnpm start` starts it (node
// --max-semi-space-size=32 packages/app/dist/main.js), on the embedded database and on a
// PostgreSQL server: VmRSS (and VmHWM, the peak) from /proc/<pid>/status when the server is
// ready, after 10 s idle, right after 10,000 requests of a realistic mix sent by 16 workers over
// keep-alive connections, and at rest 10 s after them. The embedded database is measured twice:
// its first start in an empty data directory (which runs initdb) and a restart on the directory
// the first run filled.
//
// Writes the table between the markers of bench/results-memory.md (the rest of the file is
// kept), or creates the file. Linux only (/proc). Run after `pnpm exec tsc -b`:
//
//   node bench/memory.mjs [--requests 10000] [--concurrency 16] [--idle 10]
//                         [--only embedded|postgres] [--no-write] [--smaps]
//                         [--node-flags "--flag …"] [--main path/to/main.js]
//
// `--node-flags` replaces pnpm start's flags (`--node-flags ""`: none). `--main` measures another
// build (a copy of packages/app/dist beside it, for a before and after). `--smaps` prints the
// largest mappings of the server's address space after the load, by resident size
// (/proc/<pid>/smaps), to see where the memory is.
//
// The PostgreSQL variant creates a database on BENCH_PG_URL (default the local server, user
// postgres) named `${BENCH_DB_PREFIX:-latchkey_bench_memory}_<random>`, and drops it afterwards.
// It is skipped when that server cannot be reached.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL, URLSearchParams } from 'node:url';
import { parseArgs } from 'node:util';
import { basicAuth, pool, postJson, request } from './lib/http.mjs';
import { consentedCode } from './lib/prepare.mjs';
import { BENCH_DIR, freePort, PG_SERVER_URL, postgresUnavailable, psql } from './lib/systems.mjs';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    idle: { type: 'string', default: '10' },
    only: { type: 'string' },
    'node-flags': { type: 'string', default: '--max-semi-space-size=32' },
    main: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    smaps: { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const IDLE_SECONDS = Number(args.idle);
/** The Node flags: by default the one `pnpm start` gives a server on PostgreSQL (scripts/start.sh). */
const NODE_FLAGS = args['node-flags'].split(' ').filter((flag) => flag !== '');
const MAIN = args.main ?? join(BENCH_DIR, '..', 'packages', 'app', 'dist', 'main.js');
const RESULTS = join(BENCH_DIR, 'results-memory.md');
const BEGIN = '<!-- memory.mjs: begin -->';
const END = '<!-- memory.mjs: end -->';

const OWNER = {
  email: 'owner@example.com',
  username: 'owner',
  password: 'correct horse battery',
  name: 'Olive Owner',
};
const REDIRECT_URI = 'https://client.example.com/callback';

// ---------------------------------------------------------------------------------------------
// The process

/** VmRSS, VmHWM, RssAnon and RssFile of `pid`, in MiB. */
const memoryOf = (pid) => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (match === null) throw new Error(`no ${name} in /proc/${pid}/status`);
    return Number(match[1]) / 1024;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile') };
};

/** The `count` mappings of `pid` with the most resident memory, one line each. */
const largestMappings = (pid, count = 16) => {
  const mappings = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header !== null) {
      const size = (parseInt(header[2], 16) - parseInt(header[1], 16)) / 2 ** 20;
      mappings.push({ range: header[1], perms: header[3], name: header[4], size, rss: 0 });
    } else if (line.startsWith('Rss:')) {
      mappings[mappings.length - 1].rss = Number(line.split(/\s+/)[1]) / 1024;
    }
  }
  return mappings
    .sort((a, b) => b.rss - a.rss)
    .slice(0, count)
    .map(
      (m) =>
        `${m.rss.toFixed(1).padStart(7)} MiB of ${m.size.toFixed(1).padStart(8)} MiB ${m.perms} ${m.range} ${m.name}`,
    );
};

/**
 * Starts the server with `env` (besides the address, the issuer and the limits) and resolves once
 * `/readyz` answers 200. Returns `{url, pid, startSeconds, stop()}`.
 */
const startServer = async (env) => {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN], {
    env: {
      ...process.env,
      LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: url,
      // Ten thousand registrations from one address would be refused otherwise.
      LATCHKEY_RATE_LIMIT_LOGIN: '0',
      LATCHKEY_RATE_LIMIT_REGISTER: '0',
      LATCHKEY_RATE_LIMIT_TOKEN: '0',
      LATCHKEY_LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let exited = false;
  const exit = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal });
    }),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`the server exited before it was ready: ${JSON.stringify(await exit)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('the server was not ready within 120 s');
    }
    try {
      if ((await request(`${url}/readyz`)).status === 200) break;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    startSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    stop: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
    },
  };
};

// ---------------------------------------------------------------------------------------------
// The load

const expect = (response, status, what) => {
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status} ${response.text.slice(0, 300)}`);
  return response;
};

/** Creates the owner and signs in (once, before the measured load); returns the session token. */
const setUp = async (url) => {
  expect(await postJson(`${url}/api/v2/users/first`, OWNER), 201, 'first user');
  const login = expect(
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: OWNER.password }),
    201,
    'login',
  );
  return login.json.session_token;
};

/** Signs in with the existing owner (a restart on a data directory that has one). */
const signIn = async (url) =>
  expect(
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: OWNER.password }),
    201,
    'login',
  ).json.session_token;

/**
 * One cycle of what an MCP client and its user do, ten requests, each but the first two touching
 * the database: metadata, liveness, dynamic registration, the consent page and the decision, the
 * code exchange, introspection, a bearer read, a refresh, readiness.
 */
const CYCLE = 10;
const cycle = async (url, session) => {
  const form = (fields) => new URLSearchParams(fields).toString();
  expect(await request(`${url}/.well-known/oauth-authorization-server`), 200, 'metadata');
  expect(await request(`${url}/healthz`), 200, 'healthz');
  const client = expect(
    await postJson(`${url}/oauth2/register`, { client_name: 'memory bench', redirect_uris: [REDIRECT_URI] }),
    201,
    'registration',
  ).json;
  const auth = { Authorization: basicAuth(client.client_id, client.client_secret) };
  const { code, verifier } = await consentedCode(url, session, client.client_id, REDIRECT_URI, 'memory');
  const formHeaders = { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' };
  const tokens = expect(
    await request(`${url}/oauth2/tokens`, {
      method: 'POST',
      headers: formHeaders,
      body: form({
        grant_type: 'authorization_code',
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT_URI,
      }),
    }),
    200,
    'code exchange',
  ).json;
  const introspection = expect(
    await request(`${url}/oauth2/introspect`, {
      method: 'POST',
      headers: formHeaders,
      body: form({ token: tokens.access_token }),
    }),
    200,
    'introspection',
  ).json;
  if (introspection.active !== true) throw new Error('introspection: the token is not active');
  expect(
    await request(`${url}/api/v2/users/me`, { headers: { Authorization: `Bearer ${tokens.access_token}` } }),
    200,
    'bearer read',
  );
  expect(
    await request(`${url}/oauth2/tokens`, {
      method: 'POST',
      headers: formHeaders,
      body: form({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }),
    }),
    200,
    'refresh',
  );
  expect(await request(`${url}/readyz`), 200, 'readyz');
};

/** Sends `REQUESTS` requests in cycles on `CONCURRENCY` workers; returns the seconds it took. */
const load = async (url, session) => {
  const started = process.hrtime.bigint();
  await pool(Math.ceil(REQUESTS / CYCLE), CONCURRENCY, () => cycle(url, session));
  return Number(process.hrtime.bigint() - started) / 1e9;
};

// ---------------------------------------------------------------------------------------------
// One measurement

/** Starts, measures at ready, after the idle wait and after the load, stops. */
const measure = async (name, env, { fresh }) => {
  process.stderr.write(`${name}: starting\n`);
  const server = await startServer(env);
  try {
    const ready = memoryOf(server.pid);
    await sleep(IDLE_SECONDS * 1000);
    const idle = memoryOf(server.pid);
    const session = fresh ? await setUp(server.url) : await signIn(server.url);
    process.stderr.write(`${name}: ${REQUESTS} requests\n`);
    const seconds = await load(server.url, session);
    const loaded = memoryOf(server.pid);
    await sleep(IDLE_SECONDS * 1000);
    const rest = memoryOf(server.pid);
    if (args.smaps)
      process.stderr.write(`${name}: largest mappings\n${largestMappings(server.pid).join('\n')}\n`);
    const row = { name, startSeconds: server.startSeconds, ready, idle, loaded, rest, seconds };
    process.stderr.write(`${name}: ${JSON.stringify(row)}\n`);
    return row;
  } finally {
    await server.stop();
  }
};

const mib = (value) => Math.round(value).toString();

const table = (rows) => [
  `| server | ready in | RSS ready | RSS idle ${IDLE_SECONDS} s | RSS right after ${REQUESTS.toLocaleString('en')} requests | ` +
    `RSS ${IDLE_SECONDS} s after them | peak (VmHWM) | load |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (row) =>
      `| ${row.name} | ${row.startSeconds.toFixed(1)} s | ${mib(row.ready.rss)} MiB | ${mib(row.idle.rss)} MiB | ` +
      `${mib(row.loaded.rss)} MiB | ${mib(row.rest.rss)} MiB | ${mib(row.rest.hwm)} MiB | ` +
      `${Math.round(REQUESTS / row.seconds)} req/s |`,
  ),
];

// ---------------------------------------------------------------------------------------------

const main = async () => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run pnpm exec tsc -b first`);
  const rows = [];
  if (args.only === undefined || args.only === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-memory-'));
    try {
      const env = { LATCHKEY_DATA_DIR: join(dir, 'data') };
      rows.push(await measure('embedded, first start (initdb)', env, { fresh: true }));
      rows.push(await measure('embedded, restart', env, { fresh: false }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (args.only === undefined || args.only === 'postgres') {
    const unavailable = postgresUnavailable();
    if (unavailable !== undefined) {
      process.stderr.write(`PostgreSQL skipped: ${unavailable}\n`);
    } else {
      const database = `${process.env.BENCH_DB_PREFIX ?? 'latchkey_bench_memory'}_${randomBytes(4).toString('hex')}`;
      const quoted = `"${database.replaceAll('"', '""')}"`;
      psql(PG_SERVER_URL, `create database ${quoted}`);
      try {
        const url = new URL(PG_SERVER_URL);
        url.pathname = `/${database}`;
        rows.push(
          await measure(
            'PostgreSQL server',
            {
              LATCHKEY_DATABASE_URL: url.toString(),
              LATCHKEY_SIGNING_KEY_SECRET: 'bench memory signing key secret 0123456789',
            },
            { fresh: true },
          ),
        );
      } finally {
        psql(PG_SERVER_URL, `drop database if exists ${quoted} with (force)`);
      }
    }
  }

  const commit = spawnSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' });
  const lines = [
    BEGIN,
    `${new Date().toISOString()} · Node ${process.versions.node} · built from \`${commit.stdout.trim() || 'unknown'}\` · ` +
      `\`node ${[...NODE_FLAGS, 'packages/app/dist/main.js'].join(' ')}\` · ${REQUESTS.toLocaleString('en')} requests on ` +
      `${CONCURRENCY} keep-alive connections · MiB = 2^20 bytes`,
    '',
    ...table(rows),
    END,
  ];
  const block = lines.join('\n');
  process.stdout.write(`${block}\n`);
  if (args['no-write']) return;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  const at = text.indexOf(BEGIN);
  const to = text.indexOf(END);
  if (at >= 0 && to > at) text = `${text.slice(0, at)}${block}${text.slice(to + END.length)}`;
  else text = `# Resident memory\n\nWritten by \`node bench/memory.mjs\`.\n\n${block}\n`;
  writeFileSync(RESULTS, text);
};

main().catch((error) => {
  process.stderr.write(`memory: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
