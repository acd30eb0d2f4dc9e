// The database baseline of the PostgreSQL variant: the SQL one Latchkey code exchange and one
// refresh send, captured from the running server, turned into pgbench custom scripts that replay
// the same statements (same text, same literals) on fresh prepared rows, and run at the same
// concurrency.
//
// Capture: bench/latchkey-server.mjs records knex's `query` events on request. MikroORM inlines
// the values, so every statement arrives at PostgreSQL as literal SQL (simple protocol); pgbench
// runs with `-M simple` to match.
//
// Templates: the presented credential's id and digest, its grant's id, and the id and digest of
// every inserted row are replaced by pgbench variables, so that each transaction works on its own
// prepared row (picked by `permute`, a pseudo-random order without repeats) and inserts rows with
// new unique keys. Every other literal (client, secret, user, timestamps, scopes) is kept.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, basicAuth } from './http.mjs';
import { exchangeAll, refreshRequestBody } from './prepare.mjs';
import { psql } from './systems.mjs';

// ---------------------------------------------------------------------------------------------
// Capture

/**
 * Records the statements of one code exchange and one refresh on a warmed-up server (the first
 * token request of a secret also records its `last_used_at`, at most once a minute, outside the
 * transaction; that bookkeeping is left out of the capture).
 */
export const captureStatements = async (system, target) => {
  const codes = await target.mint(2);
  await exchangeAll(target, [codes[0]]);
  await system.ask({ type: 'capture', on: true }, 'captured');
  const [tokens] = await exchangeAll(target, [codes[1]]);
  const exchange = (await system.ask({ type: 'capture', on: true }, 'captured')).statements;
  const refreshed = await request(`${target.url}${target.paths.token}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: basicAuth(target.client.id, target.client.secret),
    },
    body: refreshRequestBody(tokens.refresh_token),
  });
  if (refreshed.status !== 200)
    throw new Error(`refresh during capture: ${refreshed.status} ${refreshed.text}`);
  const refresh = (await system.ask({ type: 'capture', on: false }, 'captured')).statements;
  for (const statements of [exchange, refresh]) {
    if (statements.some((s) => s.bindings.length > 0)) {
      throw new Error('a captured statement has bind parameters; this replay expects inlined values');
    }
  }
  return { exchange: exchange.map((s) => s.sql), refresh: refresh.map((s) => s.sql) };
};

// ---------------------------------------------------------------------------------------------
// SQL text helpers

/** Every single-quoted literal of a statement, unescaped. */
const literalsOf = (sql) => [...sql.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"));

/** `insert into "table" ("a", "b") values (x, y)` → {table, row: {a: x, b: y}} (literals unquoted). */
const parseInsert = (sql) => {
  const head = /^insert into "?([a-z0-9_]+)"? \(([^)]*)\) values \(/i.exec(sql);
  if (head === null) return undefined;
  const columns = head[2].split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
  const values = [];
  const rest = sql.slice(head[0].length);
  const token = /\s*('(?:[^']|'')*'|[^,)]+)\s*([,)])/y;
  for (let i = 0; i < columns.length; i += 1) {
    const m = token.exec(rest);
    if (m === null) throw new Error(`cannot parse the values of: ${sql}`);
    values.push(m[1].startsWith("'") ? m[1].slice(1, -1).replace(/''/g, "'") : m[1]);
  }
  return { table: head[1], row: Object.fromEntries(columns.map((c, i) => [c, values[i]])) };
};

const quote = (value) => `'${value.replace(/'/g, "''")}'`;

// Keys of prepared and inserted rows. `:bench_i` is 8 digits, `:bench_w` 12, so every id is a
// well-formed uuid and every digest 64 characters, like the real ones.
const PREPARED = {
  code: { id: '00000000-0000-4000-a000-0000', digest: 'c'.repeat(56) },
  codeGrant: { id: '00000000-0000-4000-b000-0000' },
  refresh: { id: '00000000-0000-4000-a001-0000', digest: 'd'.repeat(56) },
  refreshGrant: { id: '00000000-0000-4000-b001-0000' },
};
const INSERTED = {
  code: {
    id: ['00000000-0000-4000-8000-', '00000000-0000-4000-8001-'],
    digest: ['a'.repeat(52), 'b'.repeat(52)],
  },
  refresh: {
    id: ['00000000-0000-4000-8002-', '00000000-0000-4000-8003-'],
    digest: ['e'.repeat(52), 'f'.repeat(52)],
  },
};
const FIRST_ROW = 10_000_000;
const PERMUTATION_SEED = 20_261_127;

// ---------------------------------------------------------------------------------------------
// Script and prepared rows

/**
 * Builds the pgbench script for `kind` ('code' or 'refresh') from its captured statements, and
 * the SQL that clones `rows` copies of the presented credential (and of its grant) under
 * prepared keys. Returns `{script, statements, prepareSql}`.
 */
export const buildReplay = (databaseUrl, kind, captured) => {
  const table = kind === 'code' ? 'oauth2_codes' : 'oauth2_refresh_tokens';
  const literals = [...new Set(captured.flatMap(literalsOf))].filter((l) => /^[0-9a-f-]{32,}$/.test(l));
  if (literals.length === 0) throw new Error(`no keys among the captured ${kind} statements`);
  const presentedFilter = kind === 'code' ? 'consumed_at is not null' : 'rotated_at is not null';
  const found = psql(
    databaseUrl,
    `select id || ' ' || digest || ' ' || grant_id from ${table} ` +
      `where digest in (${literals.map(quote).join(', ')}) and ${presentedFilter}`,
  )
    .trim()
    .split('\n')
    .filter((line) => line !== '');
  if (found.length !== 1) throw new Error(`expected one presented ${kind} credential, found ${found.length}`);
  const [id, digest, grantId] = found[0].split(' ');
  const keys = kind === 'code' ? PREPARED.code : PREPARED.refresh;
  const grantKeys = kind === 'code' ? PREPARED.codeGrant : PREPARED.refreshGrant;
  const replacements = new Map([
    [id, `${keys.id}:bench_i`],
    [digest, `${keys.digest}:bench_i`],
    [grantId, `${grantKeys.id}:bench_i`],
  ]);
  let inserted = 0;
  for (const sql of captured) {
    const insert = parseInsert(sql);
    if (insert === undefined) continue;
    const prefixes = INSERTED[kind];
    if (inserted >= prefixes.id.length) throw new Error(`more inserts than expected in ${kind}`);
    if (insert.row.id !== undefined) replacements.set(insert.row.id, `${prefixes.id[inserted]}:bench_w`);
    if (insert.row.digest !== undefined)
      replacements.set(insert.row.digest, `${prefixes.digest[inserted]}:bench_w`);
    inserted += 1;
  }
  const statements = captured.map((sql) => {
    let text = sql.trim().replace(/;$/, '');
    for (const [value, template] of replacements) text = text.split(quote(value)).join(quote(template));
    return `${text};`;
  });
  const used = statements.join('\n');
  for (const template of [`${keys.digest}:bench_i`, `${grantKeys.id}:bench_i`]) {
    if (!used.includes(template)) throw new Error(`the ${kind} statements never use ${template}`);
  }
  const script = [
    `-- ${kind === 'code' ? 'One authorization-code exchange' : 'One refresh with rotation'}, as Latchkey sends it.`,
    '\\set bench_n :bench_n + 1',
    `\\set bench_i ${FIRST_ROW} + permute(:bench_offset + :client_id + :bench_clients * (:bench_n - 1), :bench_rows)`,
    '\\set bench_w 100000000000 + :bench_run * 10000000000 + :client_id * 100000000 + :bench_n',
    ...statements,
    '',
  ].join('\n');
  return { script, statements, prepareSql: (rows) => cloneSql(databaseUrl, kind, id, grantId, rows) };
};

/** `insert … select` that copies one row `rows` times with some columns replaced. */
const cloneRows = (databaseUrl, table, sourceId, overrides, rows) => {
  const columns = psql(
    databaseUrl,
    `select column_name || ' ' || udt_name from information_schema.columns ` +
      `where table_schema = 'public' and table_name = '${table}' order by ordinal_position`,
  )
    .trim()
    .split('\n')
    .map((line) => line.split(' '));
  const select = columns.map(([name]) => overrides[name] ?? `src.${name}`);
  return (
    `insert into ${table} (${columns.map(([name]) => name).join(', ')}) ` +
    `select ${select.join(', ')} from ${table} src cross join generate_series(0, ${rows - 1}) s ` +
    `where src.id = ${quote(sourceId)};`
  );
};

const keyExpr = (prefix, type) => `(${quote(prefix)} || (${FIRST_ROW} + s))::${type}`;

const cloneSql = (databaseUrl, kind, id, grantId, rows) => {
  const keys = kind === 'code' ? PREPARED.code : PREPARED.refresh;
  const grantKeys = kind === 'code' ? PREPARED.codeGrant : PREPARED.refreshGrant;
  const grant = cloneRows(
    databaseUrl,
    'oauth2_grants',
    grantId,
    { id: keyExpr(grantKeys.id, 'uuid'), revoked_at: 'null' },
    rows,
  );
  const credential =
    kind === 'code'
      ? cloneRows(
          databaseUrl,
          'oauth2_codes',
          id,
          {
            id: keyExpr(keys.id, 'uuid'),
            digest: keyExpr(keys.digest, 'text'),
            grant_id: keyExpr(grantKeys.id, 'uuid'),
            consumed_at: 'null',
            expires_at: "now() + interval '1 day'",
          },
          rows,
        )
      : cloneRows(
          databaseUrl,
          'oauth2_refresh_tokens',
          id,
          {
            id: keyExpr(keys.id, 'uuid'),
            digest: keyExpr(keys.digest, 'text'),
            grant_id: keyExpr(grantKeys.id, 'uuid'),
            rotated_at: 'null',
            revoked_at: 'null',
            grace_used: 'false',
          },
          rows,
        );
  const table = kind === 'code' ? 'oauth2_codes' : 'oauth2_refresh_tokens';
  return `${grant}\n${credential}\nanalyze oauth2_grants;\nanalyze ${table};\n`;
};

// ---------------------------------------------------------------------------------------------
// Running pgbench

const percentile = (sorted, p) =>
  sorted.length === 0
    ? 0
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * One pgbench run of `scriptFile`: `-M simple`, `clients` connections, one thread, `duration` s.
 * `offset` is where in the prepared rows' order this run starts. Returns the same shape as
 * `runLoad`, plus `transactions` and `rowsSpanned` (where the next run must start).
 */
export const runPgbench = ({ databaseUrl, scriptFile, clients, duration, rows, offset, run, logDir }) => {
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const args = [
    '-n',
    '-M',
    'simple',
    '-c',
    String(clients),
    '-j',
    '1',
    '-T',
    String(duration),
    '-f',
    scriptFile,
    '-D',
    'bench_n=0',
    '-D',
    `bench_clients=${clients}`,
    '-D',
    `bench_rows=${rows}`,
    '-D',
    `bench_offset=${offset}`,
    '-D',
    `bench_run=${run}`,
    // One permutation for every run, so that runs starting at later offsets meet unused rows.
    `--random-seed=${PERMUTATION_SEED}`,
    '-l',
    `--log-prefix=${join(logDir, 'tx')}`,
    databaseUrl,
  ];
  const result = spawnSync('pgbench', args, { encoding: 'utf8', cwd: logDir, maxBuffer: 64 * 1024 * 1024 });
  const out = `${result.stdout}\n${result.stderr}`;
  const transactions = Number(/number of transactions actually processed: (\d+)/.exec(out)?.[1] ?? NaN);
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(out)?.[1] ?? NaN);
  const failed = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  if (Number.isNaN(transactions) || Number.isNaN(tps)) {
    throw new Error(`pgbench failed (exit ${result.status}):\n${out.slice(-2000)}`);
  }
  // Per transaction: client_id transaction_no time(µs) script_no time_epoch time_us.
  const latencies = [];
  let perClient = 0;
  for (const file of readdirSync(logDir)) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      const fields = line.split(' ');
      const micros = Number(fields[2]);
      if (Number.isFinite(micros)) latencies.push(micros / 1000);
      const number = Number(fields[1]);
      if (Number.isFinite(number)) perClient = Math.max(perClient, number + 1);
    }
  }
  latencies.sort((a, b) => a - b);
  rmSync(logDir, { recursive: true, force: true });
  const aborted = result.status !== 0 ? 1 : 0;
  return {
    ok: transactions - failed,
    rps: tps,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: failed + aborted,
    duration,
    transactions,
    // Clients run at different speeds: the next run starts after the furthest row any reached.
    rowsSpanned: perClient * clients,
  };
};

export const writeScript = (file, script) => writeFileSync(file, script);
