import type { HealthCheck, Repositories, Transactor } from '@latchkey/domain';
import type { MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { MikroORM as PostgreSqlMikroORM, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ENTITY_SCHEMAS } from './entities.js';
import { PostgresHealthCheck } from './health-check.js';
import { MIGRATIONS } from './migrations/index.js';
import { PostgresTransactor, repositoriesOn } from './transactor.js';

export type PostgresOrm = MikroORM<PostgreSqlDriver>;

export interface PostgresStorageOptions {
  /** `postgres://user[:password]@host:port/database`. */
  readonly clientUrl: string;
  /** Pool size. 1 for the embedded database, which serves one connection (docs/http-api.md#configuration). */
  readonly poolMax: number;
  /** Logs every statement through MikroORM's logger. */
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
  readonly transactor: Transactor;
  readonly health: HealthCheck;
  /** Closes the pool; in-flight calls fail. */
  close(): Promise<void>;
}

/** What knex's pool hands `afterCreate`: a fresh `pg` client. */
interface NewConnection {
  query(sql: string, callback: (error: Error | undefined) => void): void;
}

/**
 * Starts every new pooled connection with no prepared statements. `pg` remembers which named
 * statements it prepared per client and assumes a new client has none; the embedded database
 * serves every socket from one session, whose prepared statements outlive the socket that made
 * them, so a connection opened after another died would otherwise be refused the statements of
 * the token path ("prepared statement already exists"). On a PostgreSQL server this is a no-op.
 */
const forgetPreparedStatements = (
  connection: NewConnection,
  done: (error: Error | undefined, connection: NewConnection) => void,
): void => {
  connection.query('deallocate all', (error) => {
    done(error, connection);
  });
};

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
 * The root EntityManager is never used directly: each storage works on its own fork, so no
 * request depends on a global context, and each transaction on a fork of that.
 *
 * @see docs/http-api.md#configuration
 */
export const createPostgresStorage = async (options: PostgresStorageOptions): Promise<PostgresStorage> => {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const onWarning =
    options.onWarning ??
    ((message: string) => {
      console.warn(message);
    });
  const orm = await PostgreSqlMikroORM.init({
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
      afterCreate: forgetPreparedStatements,
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
  const em = orm.em.fork();
  return {
    orm,
    ...repositoriesOn(em),
    transactor: new PostgresTransactor(em),
    health: new PostgresHealthCheck(em, options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS),
    close: () => orm.close(true),
  };
};

/** A connection of its own, outside the pool, as knex opens one for its pool. */
interface LockConnection {
  query(text: string): Promise<unknown>;
}

interface RawConnectionSource {
  acquireRawConnection(): Promise<LockConnection>;
  destroyRawConnection(connection: LockConnection): Promise<unknown>;
}

export interface MigrateOptions {
  /**
   * Migrate under a PostgreSQL advisory lock, held on a connection of its own, so that instances
   * starting at the same moment migrate one after the other: the first applies what is pending,
   * the others wait and then find nothing to do. Default `true`. The embedded database passes
   * `false`: it serves one connection at a time (it refuses a second one), and only one
   * process can open its data directory anyway.
   */
  readonly exclusive?: boolean;
}

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
  const source = orm.em.getConnection().getKnex().client as unknown as RawConnectionSource;
  const connection = await source.acquireRawConnection();
  try {
    // A session lock: it ends with the connection, so a crashed instance cannot leave it held.
    await connection.query("select pg_advisory_lock(hashtextextended('latchkey migrations', 0))");
    return await applyPending();
  } finally {
    await source.destroyRawConnection(connection);
  }
};
