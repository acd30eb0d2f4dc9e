// `node bench/query-cost.mjs` (after `pnpm exec tsc -b`): the CPU one statement costs Latchkey's
// process, by the way it is sent: through the PostgreSQL adapter's repositories, that is its SQL
// gateway (lookups by a unique column as named prepared statements through the pool, as on the
// token path; a listing as an unnamed statement), through MikroORM's `execute` with raw SQL, and
// through a bare `pg` client (parameterised, and as a named prepared statement). Also the joined
// lookups of the token path on stored rows (so that mapping the row counts too), the three storage
// calls of one authorization-code exchange, and one empty transaction through the adapter's
// `Transactor` against a bare BEGIN/COMMIT.
//
// One statement at a time on an otherwise idle process, on a fresh `latchkey_bench_*` database
// (dropped afterwards); CPU is this process's user+system time per statement.
import process from 'node:process';
import { createPostgresStorage, migrate } from '@latchkey/adapters-postgres';
import pg from 'pg';
import {
  aClient,
  aClientSecret,
  aCode,
  aGrant,
  anAccessToken,
  aRefreshToken,
  aUser,
} from '../test/dist/contract/fixtures.js';
import { createBenchDatabase, postgresUnavailable } from './lib/systems.mjs';

const COUNT = Number(process.argv[2] ?? 3000);

/** One user, client, secret, grant and refresh token (the test suites' fixtures), stored through the repositories. */
const storeTokenPathRows = async (storage) => {
  const user = aUser(1);
  const client = aClient(1);
  const secret = aClientSecret(1, client.id);
  const grant = aGrant(1, client.id, user.id, { expiresAt: new Date('2126-01-01T00:00:00.000Z') });
  const refresh = aRefreshToken(1, grant, { secretId: secret.id, expiresAt: grant.expiresAt });
  await storage.users.insert(user, 'hash');
  await storage.clients.insert(client);
  await storage.clientSecrets.insert(secret);
  await storage.grants.insert(grant);
  await storage.refreshTokens.insert(refresh);
  return { secret, grant, refresh };
};

/**
 * The storage calls of one authorization-code exchange, each on a code of its own stored
 * beforehand (`count` of them): the secret with its client, the code with its grant, and the
 * redemption that consumes the code and inserts an access and a refresh token.
 */
const codeExchanges = async (storage, { secret, grant }, count) => {
  const exchanges = [];
  for (let i = 0; i < count; i += 1) {
    const n = 1000 + i;
    const code = aCode(n, grant);
    await storage.codes.insert(code);
    const tokens = {
      accessToken: anAccessToken(n, grant, { secretId: secret.id }),
      refreshToken: aRefreshToken(n, grant, { secretId: secret.id }),
    };
    exchanges.push({ code, tokens });
  }
  let next = 0;
  return async () => {
    const { code, tokens } = exchanges[next];
    next += 1;
    await storage.clientSecrets.findWithClient(secret.digest);
    await storage.codes.findWithGrant(code.digest);
    const redeemed = await storage.codes.redeem(code.id, new Date(), tokens);
    if (redeemed !== 'redeemed') throw new Error(`code ${code.id}: ${redeemed}`);
  };
};

const measure = async (name, statement) => {
  for (let i = 0; i < Math.min(500, COUNT); i += 1) await statement(i);
  const cpu0 = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i += 1) await statement(i);
  const cpu = process.cpuUsage(cpu0);
  const wall = Number(process.hrtime.bigint() - started) / 1000 / COUNT;
  const perStatement = (cpu.user + cpu.system) / COUNT;
  process.stdout.write(
    `${perStatement.toFixed(0).padStart(6)} µs CPU ${wall.toFixed(0).padStart(6)} µs wall  ${name}\n`,
  );
};

const main = async () => {
  const unavailable = postgresUnavailable();
  if (unavailable !== undefined) {
    process.stdout.write(`skipped: ${unavailable}\n`);
    return;
  }
  const database = createBenchDatabase();
  const storage = await createPostgresStorage({ clientUrl: database.url, poolMax: 10 });
  const client = new pg.Client({ connectionString: database.url });
  try {
    await migrate(storage.orm);
    await client.connect();
    const digest = 'f'.repeat(64);
    const id = '00000000-0000-4000-8000-000000000000';
    const sql = 'select * from oauth2_refresh_tokens where digest = $1 limit 1';
    process.stdout.write(`per statement, ${COUNT} times each:\n`);
    await measure('repository refreshTokens.findByDigest (prepared, through the pool, mapped)', () =>
      storage.refreshTokens.findByDigest(digest),
    );
    await measure('repository clients.findById (prepared, through the pool, mapped)', () =>
      storage.clients.findById(id),
    );
    await measure('repository clients.list (one page, mapped)', () =>
      storage.clients.list({ limit: 1, offset: 0 }),
    );
    const stored = await storeTokenPathRows(storage);
    await measure('repository clientSecrets.findWithClient, a stored secret (prepared, joined, mapped)', () =>
      storage.clientSecrets.findWithClient(stored.secret.digest),
    );
    await measure('repository refreshTokens.findWithGrant, a stored token (prepared, joined, mapped)', () =>
      storage.refreshTokens.findWithGrant(stored.refresh.digest),
    );
    const connection = storage.orm.em.fork().getConnection();
    await measure('MikroORM execute, raw SQL', () =>
      connection.execute('select * from oauth2_refresh_tokens where digest = ? limit 1', [digest]),
    );
    await measure('pg, parameterised', () => client.query(sql, [digest]));
    await measure('pg, named prepared statement', () =>
      client.query({ name: 'by-digest', text: sql, values: [digest] }),
    );
    await measure(
      'token path: one code exchange (secret with client, code with grant, redeem)',
      await codeExchanges(storage, stored, Math.min(500, COUNT) + COUNT),
    );
    await measure('empty transaction through the Transactor (BEGIN, COMMIT)', () =>
      storage.transactor.run(() => () => Promise.resolve({ _tag: 'Right', right: undefined })),
    );
    await measure('pg, BEGIN and COMMIT', async () => {
      await client.query('begin');
      await client.query('commit');
    });
  } finally {
    await client.end();
    await storage.close();
    database.drop();
  }
};

main().catch((error) => {
  process.stderr.write(`query-cost: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
