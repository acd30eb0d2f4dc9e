// `node bench/rate-limit-cost.mjs [spends]` (after `pnpm exec tsc -b`): what a rate limit shared
// through PostgreSQL costs (docs/scaling.md#rate-limits), to decide which limits may be shared:
// one spend is one upsert on the `rate_limits` table through the PostgreSQL adapter's gateway.
// Measured one at a time (latency) and 16 at a time on a pool of 10 (throughput), on keys spread
// over 1000 addresses and on one hot key (a busy client), against a bare `select 1` through the
// same gateway (one round trip, nothing written) and the budget in the process. CPU per spend is
// this process's and every PostgreSQL process's (the whole server: other work on it counts too).
//
// On a fresh `latchkey_bench_*` database (dropped afterwards). No HTTP: the token endpoint's own
// cost is in bench/results.md.
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { FixedWindowBudget, SharedBudget } from '../packages/adapters-http/dist/index.js';
import { createPostgresStorage, migrate } from '@latchkey/adapters-postgres';
import { cpuSecondsOf, cpuSecondsOfAll } from './lib/cpu.mjs';
import { createBenchDatabase, postgresUnavailable } from './lib/systems.mjs';

const SPENDS = Number(process.argv[2] ?? 5000);
const CONCURRENCY = 16;

const unavailable = postgresUnavailable();
if (unavailable !== undefined) {
  console.error(`rate-limit-cost: ${unavailable}`);
  process.exit(1);
}

const clock = { now: () => new Date() };

/** Runs `task(i)` for i < count, `concurrency` at a time; returns per-operation figures. */
const run = async (count, concurrency, task) => {
  const cpu0 = cpuSecondsOf(process.pid);
  const db0 = cpuSecondsOfAll('postgres');
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await task(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu1 = cpuSecondsOf(process.pid);
  const db1 = cpuSecondsOfAll('postgres');
  const per = (a, b) => (a === undefined || b === undefined ? undefined : ((b - a) * 1e6) / count);
  return {
    perSecond: count / seconds,
    usEach: (seconds * 1e6) / count,
    processCpuUs: per(cpu0, cpu1),
    dbCpuUs: per(db0, db1),
  };
};

const database = createBenchDatabase();
let storage;
try {
  storage = await createPostgresStorage({ clientUrl: database.url, poolMax: 10 });
  await migrate(storage.orm);
  const shared = new SharedBudget(storage.rateLimits, clock, 'bench', 1_000_000_000);
  const local = new FixedWindowBudget(clock, 1_000_000_000);
  const ping = { text: 'select 1' };
  const address = (i) => `192.0.2.${i % 1000}`;

  // Warm up: the pool's connections, the prepared statements, the table's pages.
  await run(500, CONCURRENCY, (i) => shared.spend(address(i)));

  const rows = [
    ['bare `select 1` (one round trip)', 1, await run(SPENDS, 1, () => storage.sql.count(ping))],
    ['shared spend, 1000 keys', 1, await run(SPENDS, 1, (i) => shared.spend(address(i)))],
    [
      'bare `select 1` (one round trip)',
      CONCURRENCY,
      await run(SPENDS, CONCURRENCY, () => storage.sql.count(ping)),
    ],
    ['shared spend, 1000 keys', CONCURRENCY, await run(SPENDS, CONCURRENCY, (i) => shared.spend(address(i)))],
    [
      'shared spend, one hot key',
      CONCURRENCY,
      await run(SPENDS, CONCURRENCY, () => shared.spend('one client')),
    ],
    [
      'spend in the process',
      CONCURRENCY,
      await run(SPENDS, CONCURRENCY, (i) => Promise.resolve(local.spend(address(i)))),
    ],
  ];
  const fmt = (n, digits = 0) => (n === undefined ? '–' : n.toFixed(digits));
  console.log(`${new Date().toISOString()} · ${SPENDS} operations a row · pool of 10 connections\n`);
  console.log(
    '| operation | at once | per second | µs each (wall) | this process CPU µs | PostgreSQL CPU µs |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [name, concurrency, r] of rows)
    console.log(
      `| ${name} | ${concurrency} | ${fmt(r.perSecond)} | ${fmt(r.usEach, 1)} | ${fmt(r.processCpuUs)} | ${fmt(r.dbCpuUs)} |`,
    );
} finally {
  await storage?.close();
  database.drop();
}
