import type {
  HealthCheck,
  RateLimitCounters,
  Repositories,
  SigningKeyRepository,
  Transactor,
} from '@latchkey/domain';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ENTITY_SCHEMAS } from './entities.js';
import { forgetPreparedStatements, Sql, type LookupCacheOptions, type PostgresOrm } from './gateway.js';
import { PostgresHealthCheck } from './health-check.js';
import { MIGRATIONS } from './migrations/index.js';
import { PostgresRateLimitCounters } from './rate-limit-counters.js';
import { PostgresSigningKeyRepository } from './signing-keys.js';
import { PostgresTransactor, repositoriesOn } from './transactor.js';

export type { PostgresOrm } from './gateway.js';

/** What sits between Latchkey and PostgreSQL (`LATCHKEY_DATABASE_POOLER`). */
export type Pooler = 'none' | 'transaction';

export interface PostgresStorageOptions {
  /** `postgres://user[:password]@host:port/database`. */
  readonly clientUrl: string;
  /** Pool size. 1 for the embedded database, which serves one connection (docs/http-api.md#configuration). */
  readonly poolMax: number;
  /**
   * The cache of token, user and client-secret lookups (`LookupCache` in gateway.ts); off when
   * absent or with `ttlMs` 0 (docs/scaling.md#the-lookup-cache).
   */
  readonly lookupCache?: LookupCacheOptions;
  /**
   * `transaction` when `clientUrl` is a pooler in transaction mode, such as PgBouncer's
   * `pool_mode = transaction` (docs/deployment.md#pgbouncer): no named prepared statements and no
   * session state outside a transaction. Default `none`: a PostgreSQL server (or a pooler in
   * session mode).
   */
  readonly pooler?: Pooler;
  /** Logs MikroORM's own statements (the migrations) through its logger; the gateway's are not. */
  readonly debug?: boolean;
  /**
   * How long a call waits for a pooled connection before it fails as unavailable. Calls queue
   * for the single embedded connection, so this bounds queueing as well as outages.
   */
  readonly acquireTimeoutMs?: number;
  /** How long opening a connection may take; bounds a hung (rather than refused) connect. */
  readonly connectTimeoutMs?: number;
  /** How long `health.ping()` waits before answering `false`. */
  readonly pingTimeoutMs?: number;
  /**
   * Receives the pool's warnings, such as "Connection Error: …" when it discards a connection
   * that died while idle. Defaults to `console.warn`.
   */
  readonly onWarning?: (message: string) => void;
}

/** Every port PostgreSQL implements, over one MikroORM instance and its pool. */
export interface PostgresStorage extends Repositories {
  readonly orm: PostgresOrm;
  /** The SQL gateway every repository sends its statements through. */
  readonly sql: Sql;
  readonly transactor: Transactor;
  readonly health: HealthCheck;
  /**
   * The rate limits' windows in the database, for limits that hold for every instance on it
   * (docs/security.md#rate-limits); the embedded database, one process by construction, has no
   * use for them.
   */
  readonly rateLimits: RateLimitCounters;
  /** Signing keys (docs/openid-connect.md#signing-keys): outside transactions. */
  readonly signingKeys: SigningKeyRepository;
  /** Closes the pool; in-flight calls fail. */
  close(): Promise<void>;
}

const DEFAULT_ACQUIRE_TIMEOUT_MS = 10_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_PING_TIMEOUT_MS = 2_000;

/**
 * Opens the pool and builds the PostgreSQL adapters. Nothing is migrated here: call `migrate`
 * at start-up.
 *
 * The pool is built to outlive database restarts: `min: 0` keeps no connection it does not need;
 * knex marks a connection that died while idle as disposed (its `error` and `end` handlers on
 * the pg client keep the process alive) and the pool replaces it on the next acquire;
 * `propagateCreateError` (knex's default) makes an acquire fail at once with the connect error
 * while the database is down, instead of retrying until the acquire timeout.
 *
 * No EntityManager is used at all: the repositories send their statements through the SQL
 * gateway (`gateway.ts`), so there is no identity map to share between requests, and forking one
 * per request would cost every request for nothing. A lint rule keeps MikroORM's identity-map
 * APIs out of this package.
 *
 * @see docs/http-api.md#configuration
 */
export const createPostgresStorage = async (options: PostgresStorageOptions): Promise<PostgresStorage> => {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const transactionPooling = options.pooler === 'transaction';
  const onWarning =
    options.onWarning ??
    ((message: string) => {
      console.warn(message);
    });
  const orm = await MikroORM.init({
    driver: PostgreSqlDriver,
    clientUrl: options.clientUrl,
    entities: ENTITY_SCHEMAS,
    debug: options.debug ?? false,
    // The schema belongs to the migrations; the database itself to whoever runs Latchkey.
    ensureDatabase: false,
    allowGlobalContext: false,
    pool: {
      min: 0,
      max: options.poolMax,
      acquireTimeoutMillis: options.acquireTimeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS,
      createTimeoutMillis: connectTimeoutMs,
      // Behind a transaction pooler, a connection holds no prepared statements of ours, and a
      // DEALLOCATE would reach whichever server session the pooler picked.
      ...(transactionPooling ? {} : { afterCreate: forgetPreparedStatements }),
    },
    driverOptions: {
      connection: { connectionTimeoutMillis: connectTimeoutMs },
      log: { warn: onWarning },
    },
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      // `session_replication_role` needs a superuser; hand-written migrations order their
      // statements instead.
      disableForeignKeys: false,
      silent: !(options.debug ?? false),
    },
  });
  let sql: Sql;
  try {
    sql = Sql.over(orm, options.lookupCache, { prepared: !transactionPooling });
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  return {
    orm,
    sql,
    ...repositoriesOn(sql),
    transactor: new PostgresTransactor(sql),
    health: new PostgresHealthCheck(sql, options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS),
    rateLimits: new PostgresRateLimitCounters(sql),
    signingKeys: new PostgresSigningKeyRepository(sql),
    close: () => orm.close(true),
  };
};

export interface MigrateOptions {
  /**
   * Migrate under a PostgreSQL advisory lock, held on a connection of its own, so that instances
   * starting at the same moment migrate one after the other: the first applies what is pending,
   * the others wait and then find nothing to do. Default `true`. The embedded database passes
   * `false`: it serves one connection at a time (it refuses a second one), and only one
   * process can open its data directory anyway.
   */
  readonly exclusive?: boolean;
  /**
   * As `PostgresStorageOptions.pooler`. Behind a transaction pooler the lock is a transaction
   * lock taken in the migrations' own transaction: a session lock would stay behind on whichever
   * server session the pooler gave its statement, held for good.
   */
  readonly pooler?: Pooler;
}

const TRY_MIGRATIONS_LOCK = {
  text: "select pg_try_advisory_xact_lock(hashtextextended('latchkey migrations', 0)) as locked",
};
/** How long an instance behind a transaction pooler waits before it tries the lock again. */
const LOCK_RETRY_MS = 200;

/**
 * The migrations in one transaction that holds the migrations' transaction lock. The lock is
 * tried, not waited for: a session waiting on a lock holds a server connection of the pooler's,
 * and MikroORM sends a few statements of its own outside the transaction (its bookkeeping table),
 * which would then wait for a server connection that the waiting instances hold. An instance
 * that does not get the lock ends its transaction, so returns its server connection, and tries
 * again shortly; the first to get it applies what is pending, the others then find nothing.
 */
const migrateInLockedTransaction = async (orm: PostgresOrm): Promise<string[]> => {
  const connection = orm.config.getDriver().getConnection('write');
  for (;;) {
    const trx = await connection.begin();
    let applied: string[] | undefined;
    try {
      const [row] = await connection.execute<{ locked: boolean }[]>(TRY_MIGRATIONS_LOCK.text, [], 'all', trx);
      applied =
        row?.locked === true
          ? (await orm.migrator.up({ transaction: trx })).map((migration) => migration.name)
          : undefined;
      await connection.commit(trx);
    } catch (error) {
      await connection.rollback(trx).catch(() => {
        // The migration's error is the one to report.
      });
      throw error;
    }
    if (applied !== undefined) return applied;
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
};

/**
 * Applies pending migrations, all in one transaction (`allOrNothing`), and returns the names of
 * those applied. Safe to run at every start-up, and from several instances at once (see
 * `MigrateOptions.exclusive`): applied migrations are recorded in `mikro_orm_migrations` and
 * skipped.
 */
export const migrate = async (orm: PostgresOrm, options: MigrateOptions = {}): Promise<string[]> => {
  const applyPending = async (): Promise<string[]> => {
    const applied = await orm.migrator.up();
    return applied.map((migration) => migration.name);
  };
  if (options.exclusive === false) return applyPending();
  if (options.pooler === 'transaction') return migrateInLockedTransaction(orm);
  return Sql.onOwnConnection(orm, async (sql) => {
    // A session lock: it ends with the connection, so a crashed instance cannot leave it held.
    await sql.count({ text: "select pg_advisory_lock(hashtextextended('latchkey migrations', 0))" });
    return applyPending();
  });
};
