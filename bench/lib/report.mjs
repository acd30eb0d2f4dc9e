// Summaries, targets, and the Markdown report.

export const SYSTEMS = {
  memory: 'latchkey-memory',
  /** The in-memory server with Prometheus metrics on (`--metrics`). */
  memoryMetrics: 'latchkey-memory-metrics',
  oidc: 'oidc-provider',
  postgres: 'latchkey-postgres',
  pgbench: 'pgbench',
  /** A bare Koa app answering the same status and body size as Latchkey (bench/koa-ceiling.mjs). */
  ceiling: 'koa-ceiling',
};

export const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const ratio = (a, b) => (a === undefined || b === undefined || b.rps === 0 ? null : a.rps / b.rps);

/** The per-round ratios of one round's results. */
const cpuRatio = (latchkey, oidc) =>
  latchkey?.serverCpuUs === undefined || oidc?.serverCpuUs === undefined
    ? null
    : oidc.serverCpuUs / latchkey.serverCpuUs;

export const roundRatios = (results) => ({
  memoryVsOidc: ratio(results[SYSTEMS.memory], results[SYSTEMS.oidc]),
  /** oidc-provider's CPU per request ÷ Latchkey's: the throughput ratio if each had a core of its own. */
  cpuMemoryVsOidc: cpuRatio(results[SYSTEMS.memory], results[SYSTEMS.oidc]),
  postgresVsOidc: ratio(results[SYSTEMS.postgres], results[SYSTEMS.oidc]),
  postgresVsPgbench: ratio(results[SYSTEMS.postgres], results[SYSTEMS.pgbench]),
  /** Throughput with metrics ÷ without (`--metrics`): 1 means they cost nothing. */
  metricsVsMemory: ratio(results[SYSTEMS.memoryMetrics], results[SYSTEMS.memory]),
  /** CPU per request without metrics ÷ with: the same ratio if each server had a core of its own. */
  cpuMetricsVsMemory: cpuRatio(results[SYSTEMS.memoryMetrics], results[SYSTEMS.memory]),
  /** Latchkey's throughput as a fraction of the bare framework's, for the same request and answer size. */
  memoryVsCeiling: ratio(results[SYSTEMS.memory], results[SYSTEMS.ceiling]),
  postgresVsCeiling: ratio(results[SYSTEMS.postgres], results[SYSTEMS.ceiling]),
});

/** Medians over rounds, per system and per ratio; errors are summed. */
export const summarise = (rounds) => {
  const systems = {};
  for (const name of Object.values(SYSTEMS)) {
    const runs = rounds.map((r) => r.results[name]).filter((r) => r !== undefined);
    if (runs.length === 0) continue;
    systems[name] = {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      serverCpuUs: median(runs.map((r) => r.serverCpuUs)),
      dbCpuUs: median(runs.map((r) => r.dbCpuUs)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
    };
  }
  const ratios = {};
  for (const key of [
    'memoryVsOidc',
    'cpuMemoryVsOidc',
    'postgresVsOidc',
    'postgresVsPgbench',
    'metricsVsMemory',
    'cpuMetricsVsMemory',
    'memoryVsCeiling',
    'postgresVsCeiling',
  ]) {
    ratios[key] = median(rounds.map((r) => r.ratios[key]).filter((v) => v !== null));
  }
  return { systems, ratios };
};

/**
 * One target: `value` compared with `threshold` (`at least` or `at most`); `unit` says how both are
 * shown (`times`, `percent`, `ms`, `count`); `earlier` marks the targets of the first round of
 * performance work, kept to show they still hold.
 */
const target = (text, value, { threshold, unit, atMost = false, earlier = false }) => ({
  target: text,
  value,
  threshold,
  unit,
  ...(earlier ? { earlier: true } : {}),
  met: value !== null && value !== undefined && (atMost ? value <= threshold : value >= threshold),
});

/** The targets, evaluated on the medians (ratios: the median of the rounds' ratios). */
export const evaluateTargets = (scenarios) => {
  const targets = [];
  for (const s of scenarios) {
    const { systems, ratios } = s.summary;
    const postgres = systems[SYSTEMS.postgres] !== undefined;
    if (['code', 'refresh'].includes(s.id) && systems[SYSTEMS.pgbench] !== undefined) {
      targets.push(
        target(
          `${s.title}: Latchkey (PostgreSQL) ≥ 70% of pgbench for the same statements`,
          ratios.postgresVsPgbench,
          {
            threshold: 0.7,
            unit: 'percent',
          },
        ),
      );
    }
    if (['read', 'introspect', 'register'].includes(s.id) && postgres) {
      targets.push(
        target(`${s.title}: Latchkey (PostgreSQL) ≥ 1.0× oidc-provider (in memory)`, ratios.postgresVsOidc, {
          threshold: 1,
          unit: 'times',
        }),
      );
    }
    if (s.id === 'introspect') {
      targets.push(
        target(`${s.title}: Latchkey (in-memory) ≥ 2.5× oidc-provider`, ratios.memoryVsOidc, {
          threshold: 2.5,
          unit: 'times',
        }),
      );
    }
    if (['read', 'introspect'].includes(s.id) && systems[SYSTEMS.ceiling] !== undefined) {
      targets.push(
        target(`${s.title}: Latchkey (in-memory) ≥ 50% of the Koa ceiling`, ratios.memoryVsCeiling, {
          threshold: 0.5,
          unit: 'percent',
        }),
      );
    }
    for (const [name, label] of [
      [SYSTEMS.memory, 'in-memory'],
      [SYSTEMS.postgres, 'PostgreSQL'],
    ]) {
      if (systems[name] === undefined) continue;
      targets.push(
        target(`${s.title}: Latchkey (${label}) p99 ≤ 20 ms (median of rounds)`, systems[name].p99, {
          threshold: 20,
          unit: 'ms',
          atMost: true,
        }),
      );
    }
  }
  for (const s of scenarios) {
    if (s.summary.systems[SYSTEMS.memoryMetrics] === undefined) continue;
    targets.push(
      target(
        `${s.title}: Latchkey (in-memory) with metrics ≥ 95% of its throughput without (median ratio)`,
        s.summary.ratios.metricsVsMemory,
        { threshold: 0.95, unit: 'percent' },
      ),
    );
  }
  const errors = scenarios.reduce(
    (sum, s) =>
      sum + s.rounds.reduce((n, r) => n + Object.values(r.results).reduce((m, x) => m + x.errors, 0), 0),
    0,
  );
  targets.push(target('zero errors in every run', errors, { threshold: 0, unit: 'count', atMost: true }));
  for (const s of scenarios) {
    if (!['code', 'refresh', 'read', 'introspect'].includes(s.id)) continue;
    targets.push(
      target(
        `${s.title}: Latchkey (in-memory) ≥ 1.5× oidc-provider (median ratio)`,
        s.summary.ratios.memoryVsOidc,
        {
          threshold: 1.5,
          unit: 'times',
          earlier: true,
        },
      ),
    );
  }
  return targets;
};

// ---------------------------------------------------------------------------------------------
// Markdown

const fmt = (value, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const pct = (value) => (value === null || value === undefined ? '–' : `${(value * 100).toFixed(0)}%`);
const times = (value) => (value === null || value === undefined ? '–' : `${value.toFixed(2)}×`);

/** A target's value as its unit shows it. */
export const targetValue = (t) =>
  t.unit === 'percent'
    ? pct(t.value)
    : t.unit === 'ms'
      ? `${fmt(t.value, 2)} ms`
      : t.unit === 'count'
        ? String(t.value)
        : times(t.value);

export const renderMarkdown = (results) => {
  const { meta, scenarios, targets } = results;
  const lines = [];
  lines.push('# Latchkey benchmark results', '');
  lines.push(
    `${meta.date} · Node ${meta.node}` +
      (meta.nodeFlags === undefined ? '' : ` (servers: \`${meta.nodeFlags.join(' ')}\`)`) +
      ` · ${meta.cpus} CPUs · ${meta.connections} connections · ` +
      `${meta.rounds} rounds of ${meta.duration} s per system (code exchange: as many requests as ` +
      `codes minted for ~${meta.duration} s) · load average before/after ${meta.loadAverage.before} / ` +
      `${meta.loadAverage.after}`,
    '',
  );
  if (meta.note !== undefined) lines.push(`**Note:** ${meta.note}`, '');
  if (meta.metricsScrape !== undefined)
    lines.push(
      `The server with metrics counted ${meta.metricsScrape.requestsCounted} requests in ` +
        '`latchkey_http_request_duration_seconds_count` (one scrape of ' +
        `${meta.metricsScrape.bytes} bytes after the last round).`,
      '',
    );
  if (meta.git !== undefined) {
    const dirty = meta.git.uncommittedPackageFiles;
    lines.push(
      `Packages built from \`${meta.git.commit.slice(0, 12)}\`` +
        (dirty.length === 0
          ? '.'
          : ` with uncommitted changes to ${dirty.map((f) => `\`${f}\``).join(', ')}.`),
      '',
    );
  }
  if (meta.postgres.skipped) lines.push(`**PostgreSQL variant skipped:** ${meta.postgres.reason}`, '');
  lines.push(
    'Medians over rounds; ratios are computed per round (A B A B) and their median is shown. ' +
      'req/s counts answers with the expected status; latency in ms; errors summed over all rounds. ' +
      '"Same, by CPU per request" is oidc-provider\'s server CPU time per request ÷ Latchkey\'s: ' +
      'the throughput ratio each would reach with a core to itself, steadier than req/s when the ' +
      'load generator, the servers and the database share the machine.' +
      (results.pgbench === undefined
        ? ''
        : ' "pgbench tx/s (same SQL)": the statements of one such request replayed by pgbench over ' +
          'the protocol Latchkey used (' +
          Object.entries(results.pgbench.scripts)
            .map(([kind, replay]) => `${kind}: \`-M ${replay.protocol ?? 'simple'}\``)
            .join(', ') +
          '; see "The replayed statements").'),
    '',
  );
  lines.push(
    '| scenario | Latchkey in-memory req/s | oidc-provider req/s | in-memory ÷ oidc-provider | ' +
      'same, by CPU per request | Latchkey PostgreSQL req/s | PostgreSQL ÷ oidc-provider | ' +
      'pgbench tx/s (same SQL) | Latchkey PostgreSQL ÷ pgbench | Koa ceiling req/s | ' +
      'in-memory ÷ ceiling | PostgreSQL ÷ ceiling | errors |',
  );
  lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of scenarios) {
    const sys = s.summary.systems;
    const errors = Object.values(sys).reduce((sum, x) => sum + x.errors, 0);
    lines.push(
      `| ${s.title} | ${fmt(sys[SYSTEMS.memory]?.rps)} | ${fmt(sys[SYSTEMS.oidc]?.rps)} | ` +
        `${times(s.summary.ratios.memoryVsOidc)} | ${times(s.summary.ratios.cpuMemoryVsOidc)} | ` +
        `${fmt(sys[SYSTEMS.postgres]?.rps)} | ` +
        `${times(s.summary.ratios.postgresVsOidc)} | ${fmt(sys[SYSTEMS.pgbench]?.rps)} | ` +
        `${pct(s.summary.ratios.postgresVsPgbench)} | ${fmt(sys[SYSTEMS.ceiling]?.rps)} | ` +
        `${pct(s.summary.ratios.memoryVsCeiling)} | ${pct(s.summary.ratios.postgresVsCeiling)} | ${errors} |`,
    );
  }
  if (scenarios.some((s) => s.summary.systems[SYSTEMS.ceiling] !== undefined)) {
    lines.push(
      '',
      `"Koa ceiling" (\`${SYSTEMS.ceiling}\`): a bare Koa ${meta.versions.koa ?? ''} app, the version ` +
        "Latchkey's HTTP adapter uses, with no middleware but one handler that reads the request body " +
        "as bytes and answers the status and a JSON body of the size of Latchkey's answer to the " +
        'same request (' +
        scenarios
          .filter((s) => s.ceilingAnswer !== undefined)
          .map((s) => `${s.id}: ${s.ceilingAnswer.status}, ${s.ceilingAnswer.bytes} bytes`)
          .join('; ') +
        '), sent the same requests; "÷ ceiling" is Latchkey\'s throughput as a fraction of it, ' +
        'what the framework and the HTTP stack alone would allow.',
    );
  }
  if (meta.residentMiB !== undefined && Object.keys(meta.residentMiB).length > 0) {
    lines.push(
      '',
      'Resident memory (VmRSS) of each server process at the end of the run: ' +
        Object.entries(meta.residentMiB)
          .map(([name, mib]) => `${name} ${fmt(mib)} MiB`)
          .join(', ') +
        '.',
    );
  }
  if (scenarios.some((s) => s.summary.systems[SYSTEMS.memoryMetrics] !== undefined)) {
    lines.push('', '## The cost of metrics', '');
    lines.push(
      `Latchkey (in-memory) with Prometheus metrics on (\`LATCHKEY_METRICS_ADDRESS\`, ` +
        `\`${SYSTEMS.memoryMetrics}\`) beside the same server without (\`${SYSTEMS.memory}\`), ` +
        'measured in turn in every round. "with ÷ without" is the median of the rounds\' ratios; ' +
        '"by CPU per request" is the server CPU time per request without metrics ÷ with.',
      '',
    );
    lines.push(
      '| scenario | without req/s | with req/s | with ÷ without | by CPU per request | ' +
        'server CPU µs/req without | with | p99 ms without | with |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    );
    for (const s of scenarios) {
      const without = s.summary.systems[SYSTEMS.memory];
      const withMetrics = s.summary.systems[SYSTEMS.memoryMetrics];
      if (withMetrics === undefined) continue;
      lines.push(
        `| ${s.title} | ${fmt(without?.rps)} | ${fmt(withMetrics.rps)} | ` +
          `${pct(s.summary.ratios.metricsVsMemory)} | ${pct(s.summary.ratios.cpuMetricsVsMemory)} | ` +
          `${fmt(without?.serverCpuUs)} | ${fmt(withMetrics.serverCpuUs)} | ` +
          `${fmt(without?.p99, 2)} | ${fmt(withMetrics.p99, 2)} |`,
      );
    }
  }
  lines.push('', '## Latency and CPU per request (medians of rounds)', '');
  lines.push(
    'CPU: the server process, and every PostgreSQL process (the whole server, so other databases' +
      "' load counts too), in µs of CPU time per successful request, from /proc.",
    '',
  );
  lines.push(
    '| scenario | system | req/s | p50 ms | p99 ms | server CPU µs/req | PostgreSQL CPU µs/req |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of scenarios) {
    for (const [name, x] of Object.entries(s.summary.systems)) {
      lines.push(
        `| ${s.title} | ${name} | ${fmt(x.rps)} | ${fmt(x.p50, 2)} | ${fmt(x.p99, 2)} | ` +
          `${fmt(x.serverCpuUs)} | ${fmt(x.dbCpuUs)} |`,
      );
    }
  }
  const targetTable = (list) => {
    lines.push('| target | value | met |', '| --- | ---: | :---: |');
    for (const t of list) lines.push(`| ${t.target} | ${targetValue(t)} | ${t.met ? 'yes' : 'no'} |`);
  };
  lines.push('', '## Targets', '');
  targetTable(targets.filter((t) => t.earlier !== true));
  const earlier = targets.filter((t) => t.earlier === true);
  if (earlier.length > 0) {
    lines.push('', '## Earlier targets', '');
    lines.push('The targets of the first round of performance work, kept to show they still hold.', '');
    targetTable(earlier);
  }
  lines.push('', '## Every round', '');
  for (const s of scenarios) {
    lines.push(`### ${s.title}`, '', s.description, '');
    lines.push(
      '| round | system | req/s | p50 ms | p99 ms | errors | requests | server CPU µs/req | PostgreSQL CPU µs/req | ratio |',
      '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    );
    for (const r of s.rounds) {
      const ratios = [
        r.ratios.memoryVsOidc === null ? null : `in-memory ÷ oidc-provider ${times(r.ratios.memoryVsOidc)}`,
        r.ratios.postgresVsOidc === null
          ? null
          : `PostgreSQL ÷ oidc-provider ${times(r.ratios.postgresVsOidc)}`,
        r.ratios.postgresVsPgbench === null
          ? null
          : `PostgreSQL ÷ pgbench ${pct(r.ratios.postgresVsPgbench)}`,
        r.ratios.metricsVsMemory === null ? null : `with metrics ÷ without ${pct(r.ratios.metricsVsMemory)}`,
        r.ratios.memoryVsCeiling === null ? null : `in-memory ÷ ceiling ${pct(r.ratios.memoryVsCeiling)}`,
        r.ratios.postgresVsCeiling === null
          ? null
          : `PostgreSQL ÷ ceiling ${pct(r.ratios.postgresVsCeiling)}`,
      ].filter((x) => x !== null);
      let first = true;
      for (const [name, x] of Object.entries(r.results)) {
        lines.push(
          `| ${r.round} | ${name} | ${fmt(x.rps)} | ${fmt(x.p50, 2)} | ${fmt(x.p99, 2)} | ${x.errors} | ` +
            `${x.ok} | ${fmt(x.serverCpuUs)} | ${fmt(x.dbCpuUs)} | ${first ? ratios.join('; ') : ''} |`,
        );
        first = false;
      }
    }
    lines.push('');
  }
  if (results.pgbench !== undefined) {
    lines.push('## The replayed statements', '');
    lines.push(
      'Captured from Latchkey (PostgreSQL) at the `pg` driver during one warmed-up request each, ' +
        'with the bound parameters written in as literals, and replayed by pgbench ' +
        `(${meta.connections} clients, one thread) with the presented credential, its grant and the ` +
        'keys the request created taken from prepared rows (`:bench_i`, `:bench_w`). pgbench uses ' +
        'the protocol Latchkey used, so that the "pgbench tx/s" column pays the same parse and plan ' +
        'costs: `-M prepared` when Latchkey sent named prepared statements (pgbench then prepares ' +
        'each statement of the script once per connection and only binds and executes it ' +
        'afterwards), `-M extended` for unnamed statements with parameters, `-M simple` when every ' +
        'value was inlined in the SQL text.',
      '',
    );
    for (const [kind, replay] of Object.entries(results.pgbench.scripts)) {
      const names = replay.preparedNames ?? [];
      lines.push(
        `### ${kind === 'code' ? 'Code exchange' : 'Refresh'}`,
        '',
        `Replayed with \`pgbench -M ${replay.protocol ?? 'simple'}\`` +
          (names.length === 0
            ? '.'
            : `; Latchkey's named prepared statements: ${names.map((n) => `\`${n}\``).join(', ')}.`),
        '',
        '```sql',
        replay.script.trim(),
        '```',
        '',
      );
    }
    lines.push(
      `Replay check: ${results.pgbench.check.map((c) => `${c.kind}: ${c.changed} of ${c.transactions} transactions found their prepared row unused`).join('; ')}.`,
      '',
    );
  }
  return `${lines.join('\n')}\n`;
};
