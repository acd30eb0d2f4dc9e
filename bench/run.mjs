// `pnpm bench`: Latchkey (in-memory and PostgreSQL) against node-oidc-provider, against a bare
// Koa app answering the same status and body size (the framework's own ceiling), and Latchkey
// (PostgreSQL) against pgbench replaying the same SQL. Writes bench/results.md and
// bench/results.json. See docs/benchmark.md.
//
// Usage: node bench/run.mjs [options]   (after `pnpm exec tsc -b`; `pnpm bench` does both)
//   --duration S        seconds per measured round (default 5)
//   --warmup S          seconds of unrecorded warm-up per system and scenario (default 2)
//   --rounds N          rounds per system (default 3)
//   --connections N     concurrent connections, also pgbench's clients (default 16)
//   --scenarios a,b     a subset of: code, refresh, read, introspect, register
//   --no-postgres       skip the PostgreSQL variant and pgbench
//   --pg-rows N         prepared rows per pgbench script (default 150000)
//   --metrics           also Latchkey (in-memory) with Prometheus metrics on, measured in turn
//                       with the one without, to show what metrics cost
//   --output NAME       write bench/NAME.md and bench/NAME.json (default results)
//   --note TEXT         a remark printed under the report's heading (what else the machine ran)
//   --profile SCENARIO  instead of the benchmark: one warm-up and one round of SCENARIO against
//                       one system started with --cpu-prof, then a summary of the profile
//                       (`slowest`: the Latchkey scenario and storage with the lowest req/s in
//                       bench/results.json)
//   --profile-system S  latchkey-memory (default), latchkey-postgres or oidc-provider
//   --profile-after a,b before the profiled scenario, run these scenarios as a full run does
//                       (in the benchmark's order; a warm-up and --rounds rounds each,
//                       outside the profiled window), so that the server holds the state a
//                       full run leaves behind
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { cpuMeter, cpuSecondsOfAll, residentMiBOf } from './lib/cpu.mjs';
import { request } from './lib/http.mjs';
import { runScenario } from './lib/load.mjs';
import { buildReplay, captureStatements, runPgbench, writeScript } from './lib/pgbench.mjs';
import { setUpKoaCeiling, setUpLatchkey, setUpOidcProvider } from './lib/prepare.mjs';
import { analyseProfile, renderProfile } from './lib/profile.mjs';
import {
  evaluateTargets,
  renderMarkdown,
  roundRatios,
  summarise,
  SYSTEMS,
  targetValue,
} from './lib/report.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import {
  BENCH_DIR,
  createBenchDatabase,
  LATCHKEY_BENCH_ENV,
  PG_SERVER_URL,
  postgresUnavailable,
  psql,
  SERVER_NODE_FLAGS,
  startKoaCeiling,
  startLatchkey,
  startOidcProvider,
} from './lib/systems.mjs';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    scenarios: { type: 'string' },
    'no-postgres': { type: 'boolean', default: false },
    'pg-rows': { type: 'string', default: '150000' },
    metrics: { type: 'boolean', default: false },
    output: { type: 'string', default: 'results' },
    note: { type: 'string' },
    profile: { type: 'string' },
    'profile-system': { type: 'string' },
    'profile-after': { type: 'string' },
  },
});
const duration = Number(args.duration);
const warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const connections = Number(args.connections);
const pgRows = Number(args['pg-rows']);
if (!/^[A-Za-z0-9_-]+$/.test(args.output)) throw new Error('--output takes a file name without extension');
const WORK = join(BENCH_DIR, '.work');
const SETTLE_MS = 500;
const require = createRequire(import.meta.url);

const startedAt = Date.now();
const log = (message) =>
  process.stdout.write(
    `${message.replace(/^(\n*)/, `$1[${((Date.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] `)}\n`,
  );
const fmt = (x) =>
  `${x.rps.toFixed(0)} req/s, p50 ${x.p50.toFixed(2)} ms, p99 ${x.p99.toFixed(2)} ms, ${x.errors} errors` +
  (x.serverCpuUs === undefined ? '' : `, server CPU ${x.serverCpuUs.toFixed(0)} µs/req`) +
  (x.dbCpuUs === undefined ? '' : `, PostgreSQL CPU ${x.dbCpuUs.toFixed(0)} µs/req`) +
  (x.loadgenCpuUs === undefined ? '' : `, load generator CPU ${x.loadgenCpuUs.toFixed(0)} µs/req`);
const versionOf = (pkg) => JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')).version;

/** The commit the packages were built from, and which of their files differed from it. */
const gitState = () => {
  const run = (...argv) => spawnSync('git', argv, { cwd: BENCH_DIR, encoding: 'utf8' });
  const head = run('rev-parse', 'HEAD');
  if (head.status !== 0) return undefined;
  const changed = run('status', '--porcelain', '--', '../packages')
    .stdout.split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => line.slice(3));
  return { commit: head.stdout.trim(), uncommittedPackageFiles: changed };
};

/** The scenarios a comma-separated list names, in the benchmark's order. */
const scenariosNamed = (list) => {
  const wanted = list.split(',').filter((id) => id !== '');
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown scenario(s): ${unknown.join(', ')}`);
  return SCENARIOS.filter((s) => wanted.includes(s.id));
};

const selectedScenarios = () => (args.scenarios === undefined ? SCENARIOS : scenariosNamed(args.scenarios));

const checkBuilt = () => {
  try {
    require.resolve('@latchkey/app');
  } catch {
    throw new Error('packages are not built: run `pnpm exec tsc -b` first (`pnpm bench` does)');
  }
};

/**
 * One measured run of `scenario` against `target`: prepares its state, then drives it. For the
 * code exchange, `count` codes are minted and exactly that many requests are sent.
 */
/** How idle PostgreSQL must be before a round starts, over what window, and for how long to wait. */
const QUIET = { cpuShare: 0.05, windowMs: 500, maxMs: 20_000 };

/**
 * Waits until PostgreSQL's processes use under 5% of a core over half a second (at most 20 s), so
 * that the database's background work after one system's round (dirty buffers being written,
 * autovacuum after a burst of inserts) does not land in the next system's round (on two shared
 * cores, both in-memory servers measured 25-40% more CPU per introspection in a full run than in
 * a run of that scenario alone). Returns at once where /proc cannot be read or no PostgreSQL
 * runs.
 */
const waitForQuietDatabase = async () => {
  const deadline = Date.now() + QUIET.maxMs;
  while (Date.now() < deadline) {
    const before = cpuSecondsOfAll('postgres');
    await sleep(QUIET.windowMs);
    const after = cpuSecondsOfAll('postgres');
    if (before === undefined || after === undefined) return;
    if ((after - before) / (QUIET.windowMs / 1000) < QUIET.cpuShare) return;
  }
  log('warning: PostgreSQL stayed busy; starting the round anyway');
};

const measure = async (scenario, target, { seconds, count }) => {
  const state = await scenario.prepare(target, { connections, count });
  await waitForQuietDatabase();
  const meter = cpuMeter({ pid: target.pid, database: target.name === SYSTEMS.postgres });
  const result = await runScenario(scenario, target, state, {
    connections,
    duration: seconds,
    amount: scenario.byAmount && target.byDuration !== true ? count : undefined,
  });
  Object.assign(result, meter(result.ok));
  // autocannon stops with requests in flight; let the server finish them before the next run.
  await sleep(SETTLE_MS);
  return result;
};

/**
 * The status and body size of Latchkey's answer to one request of `scenario` (built as the
 * scenario builds it, on state it prepares), and the length of the refresh token it holds if any:
 * what the Koa ceiling is told to answer.
 */
const sampleAnswer = async (scenario, target) => {
  const state = await scenario.prepare(target, { connections: 1, count: 1 });
  const template = scenario.request(target, state);
  const base = { method: template.method, path: template.path, headers: template.headers };
  const built = template.setupRequest === undefined ? base : template.setupRequest(base, {});
  const response = await request(`${target.url}${built.path}`, {
    method: built.method,
    headers: built.headers ?? {},
    body: built.body,
  });
  if (response.status !== scenario.expect) {
    throw new Error(
      `${scenario.id} sample on ${target.name}: ${response.status} ${response.text.slice(0, 300)}`,
    );
  }
  const refreshToken = response.json?.refresh_token;
  return {
    status: response.status,
    bytes: Buffer.byteLength(response.text),
    ...(typeof refreshToken === 'string' ? { refreshTokenLength: refreshToken.length } : {}),
  };
};

/** Codes for a warm-up (a calibration of the exchange rate). */
const warmupCodes = () => Math.max(1000, connections * 30);
/** Codes for one measured round at the rate seen in the warm-up, capped to keep minting short. */
const roundCodes = (rate) => Math.min(40_000, Math.max(connections * 20, Math.ceil(rate * duration)));

// ---------------------------------------------------------------------------------------------
// Benchmark

const benchmark = async () => {
  const scenarios = selectedScenarios();
  const loadBefore = loadavg()[0];
  log(`Node ${process.versions.node}, ${cpus().length} CPUs, load average ${loadBefore.toFixed(2)}`);
  if (loadBefore > 1) log('warning: the machine is busy; numbers will be noisy');
  const pgSkipped = args['no-postgres'] ? 'skipped with --no-postgres' : postgresUnavailable();
  if (pgSkipped !== undefined) log(`PostgreSQL variant skipped: ${pgSkipped}`);

  mkdirSync(WORK, { recursive: true });
  const systems = [];
  let database;
  const stopAll = async () => {
    await Promise.all(systems.map((s) => s.stop()));
    database?.drop();
  };
  process.once('SIGINT', () => {
    void stopAll().finally(() => process.exit(130));
  });
  try {
    const memory = await startLatchkey(SYSTEMS.memory);
    systems.push(memory);
    const targets = [await setUpLatchkey(memory)];
    let withMetrics;
    if (args.metrics) {
      withMetrics = await startLatchkey(SYSTEMS.memoryMetrics, { metrics: true });
      systems.push(withMetrics);
      targets.push(await setUpLatchkey(withMetrics));
      log(`metrics of ${SYSTEMS.memoryMetrics} at ${withMetrics.metricsUrl}/metrics`);
    }
    const oidc = await startOidcProvider(SYSTEMS.oidc);
    systems.push(oidc);
    targets.push(await setUpOidcProvider(oidc));
    let pg;
    if (pgSkipped === undefined) {
      database = createBenchDatabase();
      log(`PostgreSQL database ${database.name}`);
      const postgres = await startLatchkey(SYSTEMS.postgres, { databaseUrl: database.url });
      systems.push(postgres);
      const target = await setUpLatchkey(postgres);
      targets.push(target);
      log('capturing the SQL of one code exchange and one refresh');
      const captured = await captureStatements(postgres, target, database.url);
      const replays = {};
      for (const kind of ['code', 'refresh']) {
        if (!scenarios.some((s) => s.id === kind)) continue;
        const replay = buildReplay(
          database.url,
          kind,
          kind === 'code' ? captured.exchange : captured.refresh,
        );
        const scriptFile = join(WORK, `pgbench-${kind}.sql`);
        writeScript(scriptFile, replay.script);
        log(`preparing ${pgRows} rows for the ${kind} replay (pgbench -M ${replay.protocol})`);
        psql(database.url, undefined, { input: replay.prepareSql(pgRows) });
        replays[kind] = { ...replay, scriptFile, used: 0, transactions: 0 };
      }
      pg = { replays, run: 0, version: psql(PG_SERVER_URL, 'show server_version').trim() };
    }
    // The framework's ceiling, measured last in each round.
    const ceilingProcess = await startKoaCeiling(SYSTEMS.ceiling);
    systems.push(ceilingProcess);
    const ceiling = await setUpKoaCeiling(ceilingProcess, targets[0]);
    targets.push(ceiling);

    const pgbenchRound = (kind, seconds) => {
      const replay = pg.replays[kind];
      const meter = cpuMeter({ database: true });
      const result = runPgbench({
        databaseUrl: database.url,
        scriptFile: replay.scriptFile,
        protocol: replay.protocol,
        clients: connections,
        duration: seconds,
        rows: pgRows,
        offset: replay.used,
        run: pg.run,
        logDir: join(WORK, 'pgbench-log'),
      });
      Object.assign(result, meter(result.ok));
      pg.run += 1;
      replay.used += result.rowsSpanned;
      replay.transactions += result.transactions;
      if (replay.used > pgRows) log(`warning: the ${kind} replay ran past its ${pgRows} prepared rows`);
      return result;
    };

    const results = [];
    for (const scenario of scenarios) {
      log(`\n== ${scenario.title}`);
      const withPgbench = pg !== undefined && scenario.pgbench === true;
      const ceilingAnswer = await sampleAnswer(scenario, targets[0]);
      const answered = await ceiling.answer(ceilingAnswer);
      if (answered.bytes !== ceilingAnswer.bytes) {
        throw new Error(`${SYSTEMS.ceiling} answers ${answered.bytes} bytes, not ${ceilingAnswer.bytes}`);
      }
      log(
        `   ${SYSTEMS.ceiling} answers ${ceilingAnswer.status} with ${ceilingAnswer.bytes} bytes of JSON ` +
          `(as ${targets[0].name} does)`,
      );
      const codes = new Map();
      for (const target of targets) {
        const w = await measure(scenario, target, { seconds: warmup, count: warmupCodes() });
        codes.set(target.name, roundCodes(w.rps));
        log(`   warm-up ${target.name}: ${fmt(w)}`);
      }
      if (withPgbench) log(`   warm-up pgbench: ${fmt(pgbenchRound(scenario.id, warmup))}`);
      const roundResults = [];
      for (let round = 1; round <= rounds; round += 1) {
        const res = {};
        for (const target of targets) {
          res[target.name] = await measure(scenario, target, {
            seconds: duration,
            count: codes.get(target.name),
          });
          log(`   round ${round} ${target.name}: ${fmt(res[target.name])}`);
        }
        if (withPgbench) {
          res[SYSTEMS.pgbench] = pgbenchRound(scenario.id, duration);
          log(`   round ${round} pgbench: ${fmt(res[SYSTEMS.pgbench])}`);
        }
        // The next round's codes: enough for `duration` seconds at the rate just measured.
        for (const target of targets) codes.set(target.name, roundCodes(res[target.name].rps));
        roundResults.push({ round, results: res, ratios: roundRatios(res) });
      }
      const summary = summarise(roundResults);
      log(
        `   median ratios: in-memory ÷ oidc-provider ${summary.ratios.memoryVsOidc?.toFixed(2)}, ` +
          `PostgreSQL ÷ oidc-provider ${summary.ratios.postgresVsOidc?.toFixed(2) ?? '–'}, ` +
          `PostgreSQL ÷ pgbench ${summary.ratios.postgresVsPgbench?.toFixed(2) ?? '–'}, ` +
          `in-memory ÷ ceiling ${summary.ratios.memoryVsCeiling?.toFixed(2) ?? '–'}, ` +
          `PostgreSQL ÷ ceiling ${summary.ratios.postgresVsCeiling?.toFixed(2) ?? '–'}` +
          (withMetrics === undefined
            ? ''
            : `, with metrics ÷ without ${summary.ratios.metricsVsMemory?.toFixed(3) ?? '–'}`),
      );
      results.push({
        id: scenario.id,
        title: scenario.title,
        description: scenario.description,
        ceilingAnswer,
        rounds: roundResults,
        summary,
      });
    }

    let pgbench;
    if (pg !== undefined) {
      const check = Object.entries(pg.replays).map(([kind, replay]) => {
        const sql =
          kind === 'code'
            ? `select count(*) from oauth2_codes where digest like 'cccccccc%' and consumed_at is not null`
            : `select count(*) from oauth2_refresh_tokens where digest like 'dddddddd%' and rotated_at is not null`;
        return {
          kind,
          transactions: replay.transactions,
          changed: Number(psql(database.url, sql).trim()),
          rowsSpanned: replay.used,
        };
      });
      pgbench = {
        postgresVersion: pg.version,
        rows: pgRows,
        check,
        scripts: Object.fromEntries(
          Object.entries(pg.replays).map(([kind, r]) => [
            kind,
            {
              protocol: r.protocol,
              preparedNames: r.preparedNames,
              script: r.script,
              statements: r.statements,
            },
          ]),
        ),
      };
    }

    // What the metrics server counted, as Prometheus would scrape it: proof that they were on.
    let metricsScrape;
    if (withMetrics !== undefined) {
      const { text } = await request(`${withMetrics.metricsUrl}/metrics`);
      const counted = text
        .split('\n')
        .filter((line) => line.startsWith('latchkey_http_request_duration_seconds_count{'))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
      metricsScrape = { bytes: text.length, requestsCounted: counted };
      log(`${SYSTEMS.memoryMetrics} counted ${counted} requests (a scrape of ${text.length} bytes)`);
    }

    // Each server's resident memory now, after every scenario's rounds.
    const residentMiB = {};
    for (const system of systems) {
      const mib = residentMiBOf(system.pid);
      if (mib !== undefined) residentMiB[system.name] = Number(mib.toFixed(1));
    }
    log(
      `resident memory: ${Object.entries(residentMiB)
        .map(([name, mib]) => `${name} ${mib.toFixed(0)} MiB`)
        .join(', ')}`,
    );

    const git = gitState();
    const output = {
      meta: {
        date: new Date().toISOString(),
        ...(git === undefined ? {} : { commit: git.commit }),
        ...(args.note === undefined ? {} : { note: args.note }),
        ...(metricsScrape === undefined ? {} : { metricsScrape }),
        node: process.versions.node,
        nodeFlags: SERVER_NODE_FLAGS,
        cpus: cpus().length,
        loadAverage: { before: loadBefore.toFixed(2), after: loadavg()[0].toFixed(2) },
        connections,
        duration,
        warmup,
        rounds,
        versions: {
          'oidc-provider': versionOf('oidc-provider'),
          autocannon: versionOf('autocannon'),
          koa: versionOf('koa'),
        },
        git,
        residentMiB,
        latchkeyEnv: LATCHKEY_BENCH_ENV,
        postgres: pgSkipped === undefined ? { skipped: false } : { skipped: true, reason: pgSkipped },
      },
      scenarios: results,
      ...(pgbench === undefined ? {} : { pgbench }),
    };
    output.targets = evaluateTargets(results);
    writeFileSync(join(BENCH_DIR, `${args.output}.json`), `${JSON.stringify(output, null, 2)}\n`);
    writeFileSync(join(BENCH_DIR, `${args.output}.md`), renderMarkdown(output));
    log('\nTargets:');
    for (const t of output.targets) {
      log(
        `  ${t.met ? 'met    ' : 'NOT met'}  ${t.earlier ? '(earlier) ' : ''}${t.target}: ${targetValue(t)}`,
      );
    }
    log(`\nwrote bench/${args.output}.md and bench/${args.output}.json`);
  } finally {
    await stopAll();
  }
};

// ---------------------------------------------------------------------------------------------
// Profile

const profile = async () => {
  let id = args.profile;
  let which = args['profile-system'];
  if (id === 'slowest') {
    const file = join(BENCH_DIR, 'results.json');
    if (!existsSync(file))
      throw new Error('--profile slowest needs bench/results.json: run the benchmark first');
    const previous = JSON.parse(readFileSync(file, 'utf8'));
    // The Latchkey run (scenario and storage) with the lowest median throughput.
    const runs = previous.scenarios.flatMap((s) =>
      [SYSTEMS.memory, SYSTEMS.postgres]
        .filter((name) => s.summary.systems[name] !== undefined && (which === undefined || which === name))
        .map((name) => ({ id: s.id, name, rps: s.summary.systems[name].rps })),
    );
    if (runs.length === 0) throw new Error('bench/results.json has no Latchkey run to choose from');
    runs.sort((a, b) => a.rps - b.rps);
    id = runs[0].id;
    which = runs[0].name;
    log(`slowest: ${id} on ${which} (${runs[0].rps.toFixed(0)} req/s in bench/results.json)`);
  }
  which ??= SYSTEMS.memory;
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (scenario === undefined) throw new Error(`unknown scenario ${id}`);
  const dir = join(WORK, 'profiles', `${scenario.id}-${which}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let database;
  let system;
  try {
    if (which === SYSTEMS.oidc) {
      system = await startOidcProvider(which, { cpuProfDir: dir });
    } else if (which === SYSTEMS.memory) {
      system = await startLatchkey(which, { cpuProfDir: dir });
    } else if (which === SYSTEMS.postgres) {
      const reason = postgresUnavailable();
      if (reason !== undefined) throw new Error(`cannot profile ${which}: ${reason}`);
      database = createBenchDatabase();
      system = await startLatchkey(which, { databaseUrl: database.url, cpuProfDir: dir });
    } else {
      throw new Error(`unknown system ${which}`);
    }
    const target = which === SYSTEMS.oidc ? await setUpOidcProvider(system) : await setUpLatchkey(system);
    for (const earlier of scenariosNamed(args['profile-after'] ?? '')) {
      const calibration = await measure(earlier, target, { seconds: warmup, count: warmupCodes() });
      for (let round = 1; round <= rounds; round += 1) {
        const r = await measure(earlier, target, { seconds: duration, count: roundCodes(calibration.rps) });
        const rss = residentMiBOf(target.pid);
        log(
          `before the profiled scenario, ${earlier.title} round ${round}: ${fmt(r)}` +
            (rss === undefined ? '' : `, server resident ${rss.toFixed(0)} MiB`),
        );
      }
    }
    const w = await measure(scenario, target, { seconds: warmup, count: warmupCodes() });
    log(`warm-up: ${fmt(w)}`);
    const count = roundCodes(w.rps);
    // Prepare first, so that the window holds the measured requests only.
    const state = await scenario.prepare(target, { connections, count });
    const from = (await system.ask({ type: 'mark' }, 'marked')).micros;
    const result = await runScenario(scenario, target, state, {
      connections,
      duration,
      amount: scenario.byAmount ? count : undefined,
    });
    const to = (await system.ask({ type: 'mark' }, 'marked')).micros;
    log(`profiled round: ${fmt(result)}`);
    await sleep(SETTLE_MS);
    await system.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
    const target_ = join(dir, `${scenario.id}-${which}.cpuprofile`);
    renameSync(join(dir, file), target_);
    const analysis = analyseProfile(target_, { fromMicros: from, toMicros: to, root: join(BENCH_DIR, '..') });
    const text =
      `${scenario.title} on ${which}: ${fmt(result)}\nprofile: ${target_}\n\n` + renderProfile(analysis);
    writeFileSync(join(dir, 'summary.txt'), text);
    log(`\n${text}`);
    log(`wrote ${join(dir, 'summary.txt')}`);
  } finally {
    await system?.stop();
    database?.drop();
  }
};

checkBuilt();
(args.profile === undefined ? benchmark() : profile()).catch((error) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
