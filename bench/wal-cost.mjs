// `node bench/wal-cost.mjs [requests] [rounds] [--no-lookup-cache]` (after `pnpm exec tsc -b`): what
// each scenario costs the PostgreSQL primary, the number that bounds how far instances scale on
// one database (docs/scaling.md): the SQL statements it sends (every query of the `pg` driver,
// BEGIN and COMMIT included) and the WAL bytes it writes (the WAL position before and after
// `requests` requests, divided by their number). WAL is the whole cluster's, so the advance of
// the position counts whatever else runs on it; with pg_walinspect (PostgreSQL 15 contrib) the
// records are read back and only this database's are counted, split into records and full-page
// images (written for a page's first change after a checkpoint). Of `rounds` rounds, the one with
// the least WAL of this database is shown.
//
// One in-process server on a fresh `latchkey_bench_*` database (dropped afterwards), requests
// one at a time over HTTP, so that every statement belongs to the request under way. The server
// has its default lookup cache (the introspections and bearer reads present one token, so they
// are served from it); `--no-lookup-cache` turns it off.
import { createRequire } from 'node:module';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import {
  createClient,
  exchange,
  introspect,
  obtainCode,
  refresh,
  startOAuthServer,
} from '../test/dist/oauth/flow-helpers.js';
import { postJson, request } from '../test/dist/support/server.js';
import { createBenchDatabase, postgresUnavailable } from './lib/systems.mjs';

const args = process.argv.slice(2);
/** `--no-lookup-cache`: the server with `LATCHKEY_LOOKUP_CACHE_TTL=0`, every lookup a statement. */
const NO_CACHE = args.includes('--no-lookup-cache');
const [requests, rounds] = args.filter((arg) => !arg.startsWith('--'));
const REQUESTS = Number(requests ?? 300);
const ROUNDS = Number(rounds ?? 3);

const unavailable = postgresUnavailable();
if (unavailable !== undefined) {
  console.error(`wal-cost: ${unavailable}`);
  process.exit(1);
}

// Every query the server's driver sends, counted on the `pg` module the PostgreSQL adapter uses.
const serverPg = createRequire(import.meta.resolve('@latchkey/adapters-postgres'))('pg');
let statements = 0;
const query = serverPg.Client.prototype.query;
serverPg.Client.prototype.query = function (...args) {
  statements += 1;
  return query.apply(this, args);
};

const database = createBenchDatabase();
// The script's own connection, outside the server's pool (and the count): `pg` here is bench's.
const probe = new pg.Client({ connectionString: database.url });

// The position WAL is inserted at, once the WAL before it is on disk: pg_walinspect reads no
// further than that, and the shared rate limits' spends commit without waiting for the flush
// (the WAL writer does it within a fraction of a second).
const lsn = async () => {
  const { insert } = (await probe.query('select pg_current_wal_insert_lsn() as insert')).rows[0];
  for (;;) {
    const { behind } = (
      await probe.query('select pg_wal_lsn_diff($1, pg_current_wal_flush_lsn()) > 0 as behind', [insert])
    ).rows[0];
    if (!behind) return insert;
    await sleep(20);
  }
};
const walBetween = async (from, to) =>
  Number((await probe.query('select pg_wal_lsn_diff($2, $1)::bigint as bytes', [from, to])).rows[0].bytes);

let walinspect = false;
let databaseOid;
/**
 * The WAL between two positions that belongs to this database: the records of every transaction
 * that wrote to one of its relations (its COMMIT included), and the records without a transaction
 * that touch its relations (hint-bit page images, pruning). Other databases' work on the same
 * cluster, which the position difference counts too, is left out.
 */
const ownWal = async (from, to) => {
  if (!walinspect) return undefined;
  // pg_walinspect reads only from a position before the last one written.
  if (from === to) return { records: 0, fpi: 0 };
  const { rows } = await probe.query(
    `with r as (select * from pg_get_wal_records_info($1, $2)),
          mine as (select * from r where block_ref like '%/' || $3 || '/%'),
          xids as (select distinct xid from mine where xid <> '0')
     select coalesce(sum(record_length - fpi_length), 0)::bigint as records,
            coalesce(sum(fpi_length), 0)::bigint as fpi
       from r where xid in (select xid from xids) or (xid = '0' and block_ref like '%/' || $3 || '/%')`,
    [from, to, databaseOid],
  );
  return { records: Number(rows[0].records), fpi: Number(rows[0].fpi) };
};

/** Requests between two reads of the WAL: a busy cluster recycles its segments quickly. */
const BATCH = 25;

/**
 * Runs `send(i)` for i < count one after another; returns statements and WAL per request. The
 * WAL of this database is read back after every `BATCH` requests; when a segment was already
 * recycled (a checkpoint on a busy cluster), the round has no such figure and does not count.
 */
const measure = async (count, send) => {
  let sent = 0;
  let lsnBytes = 0;
  let own = { records: 0, fpi: 0 };
  for (let first = 0; first < count; first += BATCH) {
    const before = await lsn();
    const counted = statements;
    for (let i = first; i < Math.min(count, first + BATCH); i += 1) {
      const response = await send(i);
      if (response !== undefined && response.status >= 300)
        throw new Error(`unexpected ${response.status}: ${response.text}`);
    }
    sent += statements - counted;
    const after = await lsn();
    lsnBytes += await walBetween(before, after);
    if (own === undefined) continue;
    try {
      const batch = await ownWal(before, after);
      own =
        batch === undefined ? undefined : { records: own.records + batch.records, fpi: own.fpi + batch.fpi };
    } catch {
      own = undefined;
    }
  }
  return {
    statements: sent / count,
    wal: own === undefined ? Infinity : (own.records + own.fpi) / count,
    lsn: lsnBytes / count,
    own,
    count,
  };
};

const results = new Map();
const record = (scenario, outcome) => {
  const best = results.get(scenario);
  if (best === undefined || outcome.wal < best.wal || (outcome.wal === best.wal && outcome.lsn < best.lsn))
    results.set(scenario, outcome);
};

let server;
try {
  await probe.connect();
  try {
    await probe.query('create extension if not exists pg_walinspect');
    walinspect = true;
    databaseOid = String(
      (await probe.query('select oid from pg_database where datname = current_database()')).rows[0].oid,
    );
  } catch {
    // Not installed, or not allowed: the split is left out.
  }
  const h = await startOAuthServer({
    LATCHKEY_STORAGE: 'postgres',
    LATCHKEY_DATABASE_URL: database.url,
    LATCHKEY_SIGNING_KEY_SECRET: 'bench wal-cost signing key secret 0123456789',
    LATCHKEY_DATABASE_POOL_SIZE: '2',
    LATCHKEY_LOG_LEVEL: 'silent',
    ...(NO_CACHE ? { LATCHKEY_LOOKUP_CACHE_TTL: '0' } : {}),
    // Limits on, as in production, but too high to refuse: their statements count.
    LATCHKEY_RATE_LIMIT_LOGIN: '1000000',
    LATCHKEY_RATE_LIMIT_REGISTER: '1000000',
    LATCHKEY_RATE_LIMIT_TOKEN: '1000000',
  });
  server = h.server;
  const client = await createClient(h);
  const storage = server.running.storage;

  for (let round = 1; round <= ROUNDS; round += 1) {
    const codes = [];
    for (let i = 0; i < REQUESTS; i += 1) codes.push(await obtainCode(h, client));
    const tokens = [];
    record(
      'authorization-code exchange',
      await measure(REQUESTS, async (i) => {
        const response = await exchange(h.url, client, codes[i]);
        tokens.push(response.body);
        return response;
      }),
    );
    record(
      'refresh-token grant with rotation',
      await measure(REQUESTS, (i) => refresh(h.url, client, tokens[i].refresh_token)),
    );
    const accessToken = tokens[0].access_token;
    record('introspection', await measure(REQUESTS, () => introspect(h.url, client, accessToken)));
    record(
      'bearer-protected read',
      await measure(REQUESTS, () =>
        request(`${h.url}/api/v2/users/me`, { headers: { Authorization: `Bearer ${accessToken}` } }),
      ),
    );
    record(
      'dynamic client registration',
      await measure(REQUESTS, (i) =>
        postJson(`${h.url}/oauth2/register`, {
          client_name: `wal ${round}-${i}`,
          redirect_uris: [`https://wal${round}-${i}.example.com/cb`],
          token_endpoint_auth_method: 'none',
        }),
      ),
    );
    record(
      'one shared rate-limit spend (no HTTP)',
      await measure(REQUESTS, async (i) => {
        await storage.rateLimits.add(`bench:${round}:${i % 16}`, 1, 60_000, new Date());
      }),
    );
  }

  const perRequest = (bytes, r) => (r.own === undefined ? '–' : Math.round(bytes / r.count));
  const row = (scenario, r) =>
    `| ${scenario} | ${r.statements.toFixed(2)} | ${Math.round(r.lsn)} | ${
      r.own === undefined ? '–' : perRequest(r.own.records, r)
    } | ${r.own === undefined ? '–' : perRequest(r.own.fpi, r)} |`;
  const version = (await probe.query('show server_version')).rows[0].server_version;
  console.log(
    `${new Date().toISOString()} · PostgreSQL ${version} · lookup cache ${NO_CACHE ? 'off' : 'on (default TTL)'} · ${REQUESTS} requests a round, one at a time · the round with the least WAL of ${ROUNDS}\n`,
  );
  console.log(
    "| scenario | SQL statements / request | WAL position advance, bytes / request | this database's WAL records, bytes / request | its full-page images, bytes / request |",
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const [scenario, r] of results) console.log(row(scenario, r));
} finally {
  await server?.stop().catch(() => undefined);
  await probe.end().catch(() => undefined);
  database.drop();
}
