// Two builds of Latchkey side by side: this checkout and another one (`--base`, a checkout of an
// earlier commit with its packages built), each as a server (in memory, or with `--postgres` on
// a fresh PostgreSQL database of its own), measured in alternating
// rounds (A B, B A, …) so that both see the same machine: on a shared two-core machine the CPU a
// request costs drifts by 10-20% over minutes, which two runs one after the other mistake for a
// difference between the builds. Prints a Markdown table: the medians of each build's CPU per
// request and req/s, and the median over rounds of the two builds' CPU ratio in that round.
// See docs/benchmark.md.
//
// Both servers are started by this checkout's bench/lib/systems.mjs with the same V8 flags (each
// build's own server script, so each runs its own packages), so that a difference in the flags
// an earlier bench/ used is not measured as a difference between the builds. `--base .` with
// `--base-node-flags` compares two settings of one build instead.
//
// Usage: node bench/compare.mjs --base DIR [options]   (after `pnpm exec tsc -b` in both)
//   --base DIR          the other checkout (its bench/lib/prepare.mjs prepares its server)
//   --scenarios a,b     a subset of: code, refresh, read, introspect, register (default all)
//   --rounds N          measured rounds per build and scenario (default 10), after one warm-up
//   --duration S        seconds per round (default 3)
//   --codes N           codes minted per round of the code exchange, which runs until they are
//                       used (default 6000)
//   --connections N     concurrent connections (default 16)
//   --postgres          PostgreSQL storage (a database per build on BENCH_PG_URL, dropped after);
//                       the table adds PostgreSQL's CPU per request
//   --node-flags="…"    V8 flags of both servers (default: SERVER_NODE_FLAGS of bench/lib/systems.mjs)
//   --base-node-flags="…"  the base server's flags instead (with `=`: the value starts with a dash)
import { join, resolve } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { cpuMeter } from './lib/cpu.mjs';
import { runScenario } from './lib/load.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { BENCH_DIR, createBenchDatabase, SERVER_NODE_FLAGS, startLatchkey } from './lib/systems.mjs';

const { values: args } = parseArgs({
  options: {
    base: { type: 'string' },
    scenarios: { type: 'string', default: 'code,refresh,read,introspect,register' },
    rounds: { type: 'string', default: '10' },
    duration: { type: 'string', default: '3' },
    codes: { type: 'string', default: '6000' },
    connections: { type: 'string', default: '16' },
    postgres: { type: 'boolean', default: false },
    'node-flags': { type: 'string' },
    'base-node-flags': { type: 'string' },
  },
});
if (args.base === undefined) throw new Error('--base DIR: the checkout to compare this one with');
const rounds = Number(args.rounds);
const duration = Number(args.duration);
const codes = Number(args.codes);
const connections = Number(args.connections);
const flagList = (text) => (text === undefined ? undefined : text.split(/\s+/).filter((f) => f !== ''));
const nodeFlags = flagList(args['node-flags']) ?? SERVER_NODE_FLAGS;
const baseNodeFlags = flagList(args['base-node-flags']) ?? nodeFlags;
const flagText = (flags) => (flags.length === 0 ? '(none)' : flags.join(' '));
const scenarios = args.scenarios.split(',').map((id) => {
  const scenario = SCENARIOS.find((s) => s.id === id);
  if (scenario === undefined) throw new Error(`unknown scenario ${id}`);
  return scenario;
});

/**
 * Starts the server of `checkout` with the V8 flags `flags`, prepared by that checkout's own
 * bench/lib/prepare.mjs (the scripts differ by commit).
 */
const startBuild = async (label, checkout, flags) => {
  const { setUpLatchkey } = await import(pathToFileURL(join(checkout, 'bench', 'lib', 'prepare.mjs')).href);
  const database = args.postgres ? createBenchDatabase() : undefined;
  const system = await startLatchkey(`latchkey (${label})`, {
    databaseUrl: database?.url,
    checkout,
    nodeFlags: flags,
  });
  return { label, database, system, target: await setUpLatchkey(system) };
};

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const round = async (scenario, target) => {
  const state = await scenario.prepare(target, { connections, count: codes });
  const meter = cpuMeter({ pid: target.pid, database: args.postgres });
  const result = await runScenario(scenario, target, state, {
    connections,
    duration,
    amount: scenario.byAmount ? codes : undefined,
  });
  Object.assign(result, meter(result.ok));
  // The load generator stops with requests in flight; let the server finish them.
  await sleep(300);
  return result;
};

const builds = [
  await startBuild('base', resolve(args.base), baseNodeFlags),
  await startBuild('this checkout', resolve(BENCH_DIR, '..'), nodeFlags),
];
const rows = [];
try {
  for (const scenario of scenarios) {
    const results = new Map(builds.map((b) => [b, []]));
    for (let r = 0; r <= rounds; r += 1) {
      // Alternate which build goes first; round 0 warms both up and is not counted.
      for (const build of r % 2 === 0 ? builds : [...builds].reverse()) {
        const result = await round(scenario, build.target);
        if (result.errors > 0) throw new Error(`${build.label}: ${result.errors} errors in ${scenario.id}`);
        if (r > 0) results.get(build).push(result);
      }
    }
    const [base, current] = builds.map((b) => results.get(b));
    // Each round's two measurements were taken back to back: their ratio cancels the machine's
    // drift between rounds, which the ratio of the two medians would not.
    const pairedRatio = median(current.map((x, i) => x.serverCpuUs / base[i].serverCpuUs));
    const cpu = (rs) => median(rs.map((x) => x.serverCpuUs));
    const db = (rs) => median(rs.map((x) => x.dbCpuUs));
    const rps = (rs) => median(rs.map((x) => x.rps));
    rows.push(
      `| ${scenario.title} | ${cpu(base).toFixed(0)} | ${cpu(current).toFixed(0)} | ` +
        `${pairedRatio.toFixed(2)} | ` +
        (args.postgres ? `${db(base).toFixed(0)} | ${db(current).toFixed(0)} | ` : '') +
        `${rps(base).toFixed(0)} | ${rps(current).toFixed(0)} |`,
    );
    process.stderr.write(`${rows.at(-1)}\n`);
  }
} finally {
  for (const build of builds) {
    await build.system.stop();
    build.database?.drop();
  }
}
process.stdout.write(
  [
    `${args.postgres ? 'PostgreSQL' : 'In memory'}, ${connections} connections, ${rounds} alternating ` +
      `rounds of ${duration} s per build (medians); base: ${args.base}` +
      (flagText(baseNodeFlags) === flagText(nodeFlags)
        ? `; node flags of both: ${flagText(nodeFlags)}`
        : `; node flags of the base: ${flagText(baseNodeFlags)}, of this checkout: ${flagText(nodeFlags)}`),
    '',
    args.postgres
      ? '| scenario | base server CPU µs/req | this checkout | this ÷ base (median of rounds) | base PostgreSQL CPU µs/req | this checkout | base req/s | this checkout req/s |'
      : '| scenario | base server CPU µs/req | this checkout | this ÷ base (median of rounds) | base req/s | this checkout req/s |',
    args.postgres
      ? '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |'
      : '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n'),
);
