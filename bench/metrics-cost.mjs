// What Prometheus metrics cost one request, measured in this process by CPU time (so that other
// work on the machine does not count): the calls a server with `LATCHKEY_METRICS_ADDRESS` makes
// per request and per SQL statement, against a registry like the server's, a million times each.
// Writes bench/results-metrics-cost.md. Usage: node bench/metrics-cost.mjs (after `tsc -b`).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { createMetrics } from '@latchkey/app';
import { BENCH_DIR } from './lib/systems.mjs';

const CALLS = 1_000_000;
const WARM_UP = 200_000;
const ROUNDS = 5;

const metrics = createMetrics();
let statementObserver;
const stopWatching = metrics.watchDatabase({
  observe: (observer) => {
    statementObserver = observer;
    return () => undefined;
  },
  poolUse: () => ({ inUse: 0, idle: 1, waiting: 0 }),
});

/** CPU nanoseconds per call of `work(i)`, the median of `ROUNDS` runs of `CALLS` calls. */
const cpuPerCall = (work) => {
  for (let i = 0; i < WARM_UP; i += 1) work(i);
  const runs = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS; i += 1) work(i);
    const spent = process.cpuUsage(before);
    runs.push(((spent.user + spent.system) * 1000) / CALLS);
  }
  return runs.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)];
};

let sink = 0n;
const cases = [
  {
    what: 'the request timer (two `process.hrtime.bigint()`), which runs when logging is below info',
    work: () => {
      const started = process.hrtime.bigint();
      sink += process.hrtime.bigint() - started;
    },
  },
  {
    what: 'a token response: request histogram and tokens issued',
    work: (i) =>
      metrics.observeRequest('/oauth2/tokens', 'POST', 200, 0.001 + (i % 7) * 1e-4, {
        issuedGrant: 'authorization_code',
      }),
  },
  {
    what: 'a bearer read: request histogram only',
    work: (i) => metrics.observeRequest('/api/v2/users/me', 'GET', 200, 0.001 + (i % 7) * 1e-4, {}),
  },
  {
    what: 'a refusal: request histogram and OAuth error',
    work: (i) =>
      metrics.observeRequest('/oauth2/tokens', 'POST', 400, 0.001 + (i % 7) * 1e-4, {
        oauthError: 'invalid_grant',
      }),
  },
  {
    what: 'one SQL statement (PostgreSQL storage; a code exchange sends three)',
    work: (i) => statementObserver('latchkey_redeem_code', 0.0004 + (i % 5) * 1e-5, false),
  },
];

const results = cases.map(({ what, work }) => ({ what, ns: cpuPerCall(work) }));
const scrapeBefore = process.cpuUsage();
const text = await metrics.registry.metrics();
const scrape = process.cpuUsage(scrapeBefore);
stopWatching();

const head = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' }).stdout.trim();
const lines = [
  '# The cost of metrics per request, by CPU time',
  '',
  `${new Date().toISOString()} · Node ${process.versions.node} · built from \`${head.slice(0, 12)}\` · ` +
    `\`node bench/metrics-cost.mjs\`: the median of ${ROUNDS} runs of ${CALLS.toLocaleString('en')} calls ` +
    'each, after a warm-up, timed with `process.cpuUsage()` (this process only).',
  '',
  '| what a request with metrics on pays | CPU ns per call |',
  '| --- | ---: |',
  ...results.map((r) => `| ${r.what} | ${r.ns.toFixed(0)} |`),
  '',
  `One scrape of this registry: ${((scrape.user + scrape.system) / 1000).toFixed(1)} ms of CPU, ` +
    `${text.length} bytes.`,
  '',
];
writeFileSync(join(BENCH_DIR, 'results-metrics-cost.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
if (sink < 0n) process.stdout.write('\n');
