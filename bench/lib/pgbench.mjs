// The database baseline of the PostgreSQL variant: the SQL one Latchkey code exchange and one
// refresh send, captured from the running server, turned into pgbench custom scripts that replay
// the same statements (same text, same values) on fresh prepared rows, and run at the same
// concurrency and over the same protocol.
//
// Capture: bench/latchkey-server.mjs records every statement at the `pg` driver (`Client#query`),
// however it is sent: MikroORM's literal SQL through knex, or the server's own statements with
// `$n` parameters, named (prepared) or not. Each arrives as `{text, values, name}`, the values
// already as the text the driver sends (bench/lib/sql.mjs `paramText`).
//
// Replay: the parameters are written into the statements as literals, and the presented
// credential's id and digest, its grant's id, and every key the request created (the ids and
// digests of the inserted rows: key-like values that were not in the database before the
// request) are replaced by pgbench variables, so that each transaction works on its own prepared
// row (picked by `permute`, a pseudo-random order without repeats) and inserts rows with new
// unique keys. Every other value (client, secret, user, timestamps, scopes) is kept. pgbench runs
// with the protocol the server used (`protocolOf`): `-M prepared` when it sent any statement as a
// named prepared statement (pgbench then prepares every statement of the script once per
// connection), `-M extended` for unnamed statements with parameters, else `-M simple`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, basicAuth } from './http.mjs';
import { exchangeAll, refreshRequestBody } from './prepare.mjs';
import { inlineParams, literalsOf, paramText, quote, tokenize } from './sql.mjs';
import { psql } from './systems.mjs';

// ---------------------------------------------------------------------------------------------
// Capture

/** Statements knex sends on its own when it opens a connection (not the request's). */
const INTERNAL_STATEMENTS = [/^\s*select\s+version\(\)\s*;?\s*$/i, /^\s*set\s+search_path\b/i];

/**
 * Every value of a uuid column and of a `…digest…` column of the database: the keys that exist
 * before a captured request (the database is small when capturing: only the setup's rows).
 */
const existingKeys = (databaseUrl) => {
  const columns = psql(
    databaseUrl,
    `select quote_ident(table_name) || ' ' || quote_ident(column_name) from information_schema.columns ` +
      `where table_schema = 'public' and (udt_name = 'uuid' or column_name like '%digest%')`,
  )
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' '));
  const union = columns.map(
    ([table, column]) => `select ${column}::text from ${table} where ${column} is not null`,
  );
  return psql(databaseUrl, undefined, { input: `${union.join('\nunion\n')};\n` })
    .split('\n')
    .filter((line) => line !== '');
};

/**
 * Records the statements of one code exchange and one refresh on a warmed-up server (the first
 * token request of a secret also records its `last_used_at`, at most once a minute; that
 * bookkeeping happens in the unrecorded exchange before). Returns, per request,
 * `{statements: [{text, values, name}], known}`, `known` being the keys that existed before it.
 */
export const captureStatements = async (system, target, databaseUrl) => {
  checkReplayBuilder();
  // Two exchanges first, one after the other, so that the captured one finds the server as the
  // measured rounds do: the client's secret in its lookup cache (the first exchange's bookkeeping,
  // the client's first token and the secret's last use, makes the cache let go once).
  const codes = await target.mint(3);
  await exchangeAll(target, [codes[0]]);
  await exchangeAll(target, [codes[1]]);
  const exchangeKnown = existingKeys(databaseUrl);
  await system.ask({ type: 'capture', on: true }, 'captured');
  const [tokens] = await exchangeAll(target, [codes[2]]);
  const exchange = (await system.ask({ type: 'capture', on: false }, 'captured')).statements;
  const refreshKnown = existingKeys(databaseUrl);
  await system.ask({ type: 'capture', on: true }, 'captured');
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
  const requestOf = (what, statements, known) => {
    const unnamed = statements.find((s) => typeof s.text !== 'string');
    if (unnamed !== undefined) {
      throw new Error(
        `a statement of the ${what} was sent without its text (name: ${unnamed.name ?? 'none'})`,
      );
    }
    const own = statements.filter((s) => !INTERNAL_STATEMENTS.some((internal) => internal.test(s.text)));
    if (own.length === 0) {
      throw new Error(
        `no statement recorded during the ${what}: the server's queries did not go through the ` +
          'pg Client that bench/latchkey-server.mjs patches',
      );
    }
    return { statements: own, known };
  };
  return {
    exchange: requestOf('code exchange', exchange, exchangeKnown),
    refresh: requestOf('refresh', refresh, refreshKnown),
  };
};

/**
 * The pgbench protocol equivalent to how the server sent `statements`: `prepared` when any was a
 * named prepared statement, `extended` when any had parameters, else `simple`.
 */
export const protocolOf = (statements) =>
  statements.some((s) => s.name !== undefined && s.name !== null && s.name !== '')
    ? 'prepared'
    : statements.some((s) => s.values.length > 0)
      ? 'extended'
      : 'simple';

// ---------------------------------------------------------------------------------------------
// Keys

const isKey = (value) => /^[0-9a-f-]{32,}$/i.test(value);
const isUuid = (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
const unique = (values) => [...new Set(values)];

/**
 * The keys the request created: key-like literals (uuids, hex digests) of `sql` (statements with
 * their values inlined) that were not in the database before it (`known`), whatever statement
 * wrote them (`insert … values`, `insert … select` in a CTE, …). Keys are compared in lower case
 * (PostgreSQL prints uuids so), and returned so.
 */
export const createdKeys = (sql, known, presented) => {
  const old = new Set(
    [...known, presented.id, presented.digest, presented.grantId].map((k) => k.toLowerCase()),
  );
  return unique(
    sql
      .flatMap(literalsOf)
      .filter(isKey)
      .map((value) => value.toLowerCase()),
  ).filter((value) => !old.has(value));
};

/** The presented code or refresh token among `sql`'s literals: the one consumed or rotated. */
const presentedCredential = (databaseUrl, kind, sql) => {
  const table = kind === 'code' ? 'oauth2_codes' : 'oauth2_refresh_tokens';
  const literals = unique(sql.flatMap(literalsOf)).filter(isKey);
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
  return { id, digest, grantId };
};

// Keys of prepared and inserted rows: a fixed prefix and a pgbench variable. `:bench_i` is 8
// digits, `:bench_w` 12, so every id is a well-formed uuid and every digest as long as the real
// one. The prefixes keep the keys of the two scripts, and of every inserted key, apart.
const PREPARED = {
  code: { id: '00000000-0000-4000-a000-0000', digest: 'c', grant: '00000000-0000-4000-b000-0000' },
  refresh: { id: '00000000-0000-4000-a001-0000', digest: 'd', grant: '00000000-0000-4000-b001-0000' },
};
const INSERTED = { code: { uuid: '0', digest: 'a' }, refresh: { uuid: '1', digest: 'b' } };
const FIRST_ROW = 10_000_000;
const PERMUTATION_SEED = 20_261_127;

/** The prepared rows' key prefixes for a presented credential whose digest has `length` characters. */
const preparedKeys = (kind, length) => ({
  id: PREPARED[kind].id,
  digest: PREPARED[kind].digest.repeat(length - 8),
  grant: PREPARED[kind].grant,
});

/**
 * Lower-cased key → `{prefix, variable, uuid, required}`: what replaces each key in the script.
 * The presented digest is required: without it every transaction would look up the same row.
 */
const keyTemplates = (kind, presented, created) => {
  const prepared = preparedKeys(kind, presented.digest.length);
  const templates = new Map([
    [presented.id.toLowerCase(), { prefix: prepared.id, variable: 'bench_i', uuid: true }],
    [presented.digest.toLowerCase(), { prefix: prepared.digest, variable: 'bench_i', required: true }],
    [presented.grantId.toLowerCase(), { prefix: prepared.grant, variable: 'bench_i', uuid: true }],
  ]);
  let uuids = 0;
  let digests = 0;
  for (const value of created) {
    if (uuids > 255 || digests > 255) throw new Error(`too many new keys in the ${kind} statements`);
    const n = (isUuid(value) ? uuids : digests).toString(16).padStart(2, '0');
    if (isUuid(value)) {
      templates.set(value, {
        prefix: `00000000-0000-4000-8${INSERTED[kind].uuid}${n}-`,
        variable: 'bench_w',
        uuid: true,
      });
      uuids += 1;
    } else {
      const letter = INSERTED[kind].digest;
      templates.set(value, {
        prefix: `${letter}${n}`.padEnd(value.length - 12, letter),
        variable: 'bench_w',
      });
      digests += 1;
    }
  }
  return templates;
};

// ---------------------------------------------------------------------------------------------
// Script

// pgbench replaces `:name` by a variable's value (simple protocol) or by a parameter (extended
// and prepared), anywhere in a statement, string literals included, and skips `::`. Under the
// simple protocol, names it does not know are left alone.
const BENCH_VARIABLES = [
  'bench_n',
  'bench_i',
  'bench_w',
  'bench_clients',
  'bench_rows',
  'bench_offset',
  'bench_run',
];
const DEFINED_VARIABLES = new Set([...BENCH_VARIABLES, 'client_id', 'scale', 'random_seed', 'default_seed']);
const variableReferences = (text) =>
  [...text.matchAll(/(?<!:):([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)/g)].map((m) => m[1]);
/** Whether pgbench would take part of `text` for a variable. */
const looksLikeVariable = (text, protocol) =>
  variableReferences(text).some((name) => protocol !== 'simple' || DEFINED_VARIABLES.has(name));

/**
 * A key's replacement. Simple protocol: inside the literal (`'prefix:bench_i'`), which pgbench
 * turns into the literal the server would have sent. Extended and prepared: a parameter can only
 * stand outside quotes, so `('prefix' || :bench_i)`, cast to uuid for uuids (the literal in its
 * place was untyped; a text expression is not); the concatenation is the only work it adds.
 */
const renderKey = ({ prefix, variable, uuid }, protocol) =>
  protocol === 'simple'
    ? quote(`${prefix}:${variable}`)
    : `(${quote(prefix)} || :${variable})${uuid ? '::uuid' : ''}`;

/** A literal with its colons written `\x3a` (an `E'…'` string), where pgbench would see a variable. */
const escapeLiteral = (part, sql) => {
  if (part.prefix === '') {
    return `E'${part.body.replace(/\\/g, '\\\\').replace(/'/g, "''").replace(/:/g, '\\x3a')}'`;
  }
  if (part.prefix.toLowerCase() === 'e') return `E'${part.body.replace(/:/g, '\\x3a')}'`;
  throw new Error(`cannot keep pgbench off the colons of ${part.text} in: ${sql}`);
};

/**
 * The pgbench script of `kind` from `sql`, the captured statements with their values inlined:
 * every key of `templates` replaced, literals pgbench would misread escaped. Returns
 * `{script, statements}`. Pure (no database), so that `checkReplayBuilder` can run it.
 */
export const scriptFor = (kind, sql, templates, protocol) => {
  const replaced = new Set();
  const statements = sql.map((statement) => {
    const text = tokenize(statement.trim().replace(/;$/, ''))
      .map((part) => {
        if (part.type === 'param') throw new Error(`${part.text} left without a value in: ${statement}`);
        if (part.type === 'code') {
          if (looksLikeVariable(part.text, protocol))
            throw new Error(`pgbench would read a variable outside the literals of: ${statement}`);
          return part.text;
        }
        const key = part.body.toLowerCase();
        const template = part.prefix === '' && isKey(key) ? templates.get(key) : undefined;
        if (template !== undefined) {
          replaced.add(key);
          return renderKey(template, protocol);
        }
        return looksLikeVariable(part.body, protocol) ? escapeLiteral(part, statement) : part.text;
      })
      .join('');
    return `${text};`;
  });
  for (const [key, template] of templates) {
    if (template.required && !replaced.has(key))
      throw new Error(`the ${kind} statements never use the presented credential's digest ${key}`);
  }
  const script = [
    `-- ${kind === 'code' ? 'One authorization-code exchange' : 'One refresh with rotation'}, as Latchkey sends it (pgbench -M ${protocol}).`,
    '\\set bench_n :bench_n + 1',
    `\\set bench_i ${FIRST_ROW} + permute(:bench_offset + :client_id + :bench_clients * (:bench_n - 1), :bench_rows)`,
    '\\set bench_w 100000000000 + :bench_run * 10000000000 + :client_id * 100000000 + :bench_n',
    ...statements,
    '',
  ].join('\n');
  return { script, statements };
};

// ---------------------------------------------------------------------------------------------
// Script and prepared rows

/**
 * Builds the pgbench script for `kind` ('code' or 'refresh') from its capture (`{statements,
 * known}`), and the SQL that clones `rows` copies of the presented credential (and of its grant)
 * under prepared keys. Returns `{script, statements, protocol, preparedNames, prepareSql}`.
 */
export const buildReplay = (databaseUrl, kind, captured) => {
  const protocol = protocolOf(captured.statements);
  const sql = captured.statements.map((s) => inlineParams(s.text, s.values));
  const presented = presentedCredential(databaseUrl, kind, sql);
  const created = createdKeys(sql, new Set(captured.known), presented);
  if (created.length === 0) throw new Error(`the captured ${kind} statements create no key`);
  const { script, statements } = scriptFor(kind, sql, keyTemplates(kind, presented, created), protocol);
  return {
    script,
    statements,
    protocol,
    preparedNames: unique(captured.statements.map((s) => s.name).filter((name) => name)),
    prepareSql: (rows) => cloneSql(databaseUrl, kind, presented, rows),
  };
};

// ---------------------------------------------------------------------------------------------
// Self-check

/**
 * Throws unless a synthetic capture of both shapes comes out as expected: the server's shape (a
 * named statement per step, `$n` parameters with dates, text arrays, null and booleans, and one
 * CTE that consumes the code and inserts the access and refresh tokens) and MikroORM's (inlined
 * literals, separate inserts, BEGIN/COMMIT). Runs at capture time; no database needed.
 */
export const checkReplayBuilder = () => {
  const fail = (what, text) => {
    throw new Error(`pgbench replay self-check: ${what}\n${text}`);
  };
  const uuid = (n) => `${String(n).padStart(8, '0')}-1111-4111-8111-111111111111`;
  const digestOf = (c) => c.repeat(64);
  const [client, secret, user, grant, code, access, refresh] = [1, 2, 3, 4, 5, 6, 7].map(uuid);
  const [secretDigest, codeDigest, accessDigest, refreshDigest] = ['1', '2', '3', '4'].map(digestOf);
  const now = new Date('2026-01-02T03:04:05.678Z');
  const later = new Date('2026-01-02T04:04:05.678Z');
  const scopes = ['mcp', 'user:read', 'it\'s "quoted"'];
  const known = new Set([client, secret, user, grant, code, secretDigest, codeDigest]);
  const presented = { id: code, digest: codeDigest, grantId: grant };
  const check = (protocol, captured, expected, absent) => {
    const sql = captured.map((s) => inlineParams(s.text, (s.values ?? []).map(paramText)));
    if (protocolOf(captured.map((s) => ({ values: [], ...s }))) !== protocol)
      fail(`protocol is not ${protocol}`, sql.join('\n'));
    const created = createdKeys(sql, known, presented);
    if (created.sort().join() !== [access, accessDigest, refresh, refreshDigest].sort().join())
      fail(`created keys ${created.join(', ')}`, sql.join('\n'));
    const { script } = scriptFor('code', sql, keyTemplates('code', presented, created), protocol);
    for (const text of expected) if (!script.includes(text)) fail(`the script lacks ${text}`, script);
    for (const text of absent) if (script.includes(text)) fail(`the script still has ${text}`, script);
  };
  const keys = [code, codeDigest, grant, access, accessDigest, refresh, refreshDigest];
  check(
    'prepared',
    [
      {
        name: 'find_secret',
        text: 'select * from oauth2_client_secrets s join oauth2_clients c on c.id = s.client_id where s.digest = $1',
        values: [secretDigest],
      },
      {
        name: 'find_code',
        text: "select c.*, '$1' as x /* $2 */ from oauth2_codes c join oauth2_grants g on g.id = c.grant_id where c.digest = $1",
        values: [codeDigest],
      },
      {
        name: 'redeem',
        text: `with target as (select c.id from oauth2_codes c where c.id = $1::uuid),
  consumed as (update oauth2_codes c set consumed_at = $2::timestamptz from target t where c.id = t.id returning c.id),
  access as (insert into api_keys (id, kind, digest, user_id, scopes, grant_id, secret_id, created_at, expires_at)
    select $3::uuid, 'access', $4::text, $5::uuid, $6::text[], $7::uuid, $8::uuid, $2::timestamptz, $9::timestamptz from consumed returning id),
  refresh as (insert into oauth2_refresh_tokens (id, digest, grant_id, scopes, grace_used, resource, revoked_at)
    select $10::uuid, $11::text, $7::uuid, $6::text[], $12::boolean, $13, $14::timestamptz from consumed
     where $11::text is not null returning id)
select (select count(*) from consumed)::int as changed`,
        values: [
          code,
          now,
          access,
          accessDigest,
          user,
          scopes,
          grant,
          secret,
          later,
          refresh,
          refreshDigest,
          false,
          'http://127.0.0.1:8080',
          null,
        ],
      },
    ],
    [
      `where s.digest = '${secretDigest}'`,
      `where c.digest = ('${'c'.repeat(56)}' || :bench_i)`,
      "'$1' as x /* $2 */",
      "where c.id = ('00000000-0000-4000-a000-0000' || :bench_i)::uuid::uuid",
      "consumed_at = '2026-01-02T03:04:05.678Z'::timestamptz",
      "select ('00000000-0000-4000-8000-' || :bench_w)::uuid::uuid, 'access', ('a00",
      `${'a'.repeat(49)}' || :bench_w)::text, '${user}'::uuid`,
      String.raw`E'{"mcp","user\x3aread","it''s \\"quoted\\""}'::text[]`,
      "('00000000-0000-4000-b000-0000' || :bench_i)::uuid::uuid",
      "select ('00000000-0000-4000-8001-' || :bench_w)::uuid::uuid, ('a01",
      `where ('a01${'a'.repeat(49)}' || :bench_w)::text is not null`,
      "'false'::boolean, 'http://127.0.0.1:8080', NULL::timestamptz",
    ],
    keys,
  );
  check(
    'simple',
    [
      { text: `select * from "oauth2_codes" where "digest" = '${codeDigest}' limit 1` },
      { text: 'BEGIN' },
      {
        text: `update oauth2_codes set consumed_at = '${now.toISOString()}' where id = '${code}' returning id`,
      },
      {
        text:
          `insert into "api_keys" ("digest", "grant_id", "id", "scopes") values ` +
          `('${accessDigest}', '${grant}', '${access}', '{mcp,user:read}')`,
      },
      {
        text:
          `insert into "oauth2_refresh_tokens" ("digest", "grant_id", "id", "resource") values ` +
          `('${refreshDigest}', '${grant}', '${refresh}', 'x:client_id')`,
      },
      { text: String.raw`select E'it\'s x:client_id'` },
      { text: 'COMMIT' },
    ],
    [
      `where "digest" = '${'c'.repeat(56)}:bench_i' limit 1`,
      `consumed_at = '${now.toISOString()}' where id = '00000000-0000-4000-a000-0000:bench_i'`,
      `('a00${'a'.repeat(49)}:bench_w', '00000000-0000-4000-b000-0000:bench_i', '00000000-0000-4000-8000-:bench_w', '{mcp,user:read}')`,
      `('a01${'a'.repeat(49)}:bench_w', '00000000-0000-4000-b000-0000:bench_i', '00000000-0000-4000-8001-:bench_w', E'x\\x3aclient_id')`,
      'BEGIN;',
      String.raw`select E'it\'s x\x3aclient_id';`,
      'COMMIT;',
    ],
    keys,
  );
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

const cloneSql = (databaseUrl, kind, presented, rows) => {
  const keys = preparedKeys(kind, presented.digest.length);
  const grant = cloneRows(
    databaseUrl,
    'oauth2_grants',
    presented.grantId,
    { id: keyExpr(keys.grant, 'uuid'), revoked_at: 'null' },
    rows,
  );
  const credential =
    kind === 'code'
      ? cloneRows(
          databaseUrl,
          'oauth2_codes',
          presented.id,
          {
            id: keyExpr(keys.id, 'uuid'),
            digest: keyExpr(keys.digest, 'text'),
            grant_id: keyExpr(keys.grant, 'uuid'),
            consumed_at: 'null',
            expires_at: "now() + interval '1 day'",
          },
          rows,
        )
      : cloneRows(
          databaseUrl,
          'oauth2_refresh_tokens',
          presented.id,
          {
            id: keyExpr(keys.id, 'uuid'),
            digest: keyExpr(keys.digest, 'text'),
            grant_id: keyExpr(keys.grant, 'uuid'),
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
 * One pgbench run of `scriptFile` over `protocol` (`-M`: simple, extended or prepared), `clients`
 * connections, one thread, `duration` s.
 * `offset` is where in the prepared rows' order this run starts. Returns the same shape as
 * `runLoad`, plus `transactions` and `rowsSpanned` (where the next run must start).
 */
export const runPgbench = ({
  databaseUrl,
  scriptFile,
  protocol,
  clients,
  duration,
  rows,
  offset,
  run,
  logDir,
}) => {
  rmSync(logDir, { recursive: true, force: true });
  mkdirSync(logDir, { recursive: true });
  const args = [
    '-n',
    '-M',
    protocol,
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
