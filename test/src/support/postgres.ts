import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createPostgresStorage,
  migrate,
  type LookupCacheOptions,
  type PostgresStorage,
} from '@latchkey/adapters-postgres';
import { startEmbeddedDatabase } from '@latchkey/app';

/** A PostgreSQL server to create throw-away databases on; unset means the embedded database. */
export const TEST_DATABASE_URL_VARIABLE = 'LATCHKEY_TEST_DATABASE_URL';

/**
 * The PostgreSQL server of `LATCHKEY_TEST_DATABASE_URL`, for suites that need one (several
 * connections at once). Without it such a suite is skipped on a developer's machine, and fails
 * where `LATCHKEY_TEST_REQUIRE_SERVER=1` says a server must be there (CI).
 */
export const requiredServerUrl = (skip: () => void): string => {
  const url = process.env[TEST_DATABASE_URL_VARIABLE];
  if (url !== undefined && url !== '') return url;
  if (process.env.LATCHKEY_TEST_REQUIRE_SERVER === '1')
    throw new Error(`${TEST_DATABASE_URL_VARIABLE} is not set, and this run requires a PostgreSQL server`);
  skip();
  throw new Error('skipped');
};

export type EmbeddedDatabase = Awaited<ReturnType<typeof startEmbeddedDatabase>>;

export interface PostgresHarness {
  /** Migrated, empty, and private to this harness. */
  readonly storage: PostgresStorage;
  /** The database behind `storage` when it is the embedded one, for outage tests. */
  readonly embedded: EmbeddedDatabase | undefined;
  /** The pool's warnings, kept rather than printed: outage tests cause them on purpose. */
  readonly warnings: string[];
  /** Applies pending migrations, as `migrate` does (locked against other instances on a server). */
  migrate(): Promise<string[]>;
  /** Empties every table; call it between tests that share the harness. */
  truncate(): Promise<void>;
  /** Closes the storage and drops its database (embedded: stops it and deletes its files). */
  cleanup(): Promise<void>;
}

export interface WithPostgresOptions {
  /** Use the embedded database even when `LATCHKEY_TEST_DATABASE_URL` is set. */
  readonly embedded?: boolean;
  /** Pool size on a real server (the embedded database always gets 1). */
  readonly poolMax?: number;
  /** The storage's lookup cache; off unless given. */
  readonly lookupCache?: LookupCacheOptions;
}

/** Every table the migrations create, but their own bookkeeping; children before their parents. */
const TABLES = [
  'oauth2_pending_authorizations',
  'oauth2_codes',
  'oauth2_refresh_tokens',
  'api_keys',
  'oauth2_grants',
  'oauth2_client_secrets',
  'oauth2_clients',
  'audit_logs',
  'users',
  'rate_limits',
  'signing_keys',
];

const connect = async (
  clientUrl: string,
  poolMax: number,
  warnings: string[],
  lookupCache?: LookupCacheOptions,
): Promise<PostgresStorage> =>
  createPostgresStorage({
    clientUrl,
    poolMax,
    onWarning: (message) => warnings.push(message),
    ...(lookupCache === undefined ? {} : { lookupCache }),
  });

/** Runs one statement on a short-lived connection to the server's maintenance URL; its rows. */
export const onServer = async (
  serverUrl: string,
  sql: string,
  values: unknown[] = [],
): Promise<Array<Record<string, unknown>>> => {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    return (await admin.query(sql, values)).rows as Array<Record<string, unknown>>;
  } finally {
    await admin.end();
  }
};

/** The URL of database `name` on the server at `serverUrl`. */
export const databaseUrlOn = (serverUrl: string, name: string): string => {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/**
 * Set by the run's global fixture (support/global-database.ts) for every test process: the run's
 * prefix of database names, and the migrated database that `withPostgres` copies.
 */
export const TEST_RUN_VARIABLE = 'LATCHKEY_TEST_RUN';
export const TEST_TEMPLATE_VARIABLE = 'LATCHKEY_TEST_TEMPLATE_DATABASE';

/** The prefix of every database this run creates: the global teardown drops what is left of them. */
export const runDatabasePrefix = (): string => `latchkey_test_${process.env[TEST_RUN_VARIABLE] ?? ''}`;

/**
 * A new, empty database on the server at `serverUrl` (a copy of `template` when given); `dispose`
 * drops it. Within a run that has a global teardown, the drop is not waited for: it takes a
 * fraction of a second of the server's time, and the teardown drops whatever is still there.
 */
export const onServerDatabase = async (
  serverUrl: string,
  options: WithPostgresOptions & { readonly template?: string } = {},
) => {
  // Only [a-z0-9_], so the name needs no quoting.
  const name = `${runDatabasePrefix()}${randomBytes(6).toString('hex')}`;
  await onServer(
    serverUrl,
    options.template === undefined
      ? `create database ${name}`
      : `create database ${name} template ${options.template}`,
  );
  const drop = () => onServer(serverUrl, `drop database if exists ${name} with (force)`);
  return {
    url: databaseUrlOn(serverUrl, name),
    poolMax: options.poolMax ?? 5,
    embedded: undefined,
    dispose: async (): Promise<void> => {
      if (process.env[TEST_RUN_VARIABLE] === undefined) await drop();
      else void drop().catch(() => undefined);
    },
  };
};

/**
 * An initialised (initdb'd) data directory, made once per test process and copied for each
 * harness: initdb takes seconds, a copy a fraction of one.
 */
let template: Promise<string> | undefined;

const initialisedDataDir = (): Promise<string> => {
  template ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-pglite-template-'));
    process.once('exit', () => {
      rmSync(dir, { recursive: true, force: true });
    });
    const dataDir = join(dir, 'pgdata');
    const database = await startEmbeddedDatabase({ dataDir });
    await database.stop();
    return dataDir;
  })();
  return template;
};

/** Fills `dataDir` (which must not exist yet) with a copy of an initialised data directory. */
export const copyInitialisedDataDir = async (dataDir: string): Promise<void> => {
  await cp(await initialisedDataDir(), dataDir, { recursive: true });
};

const onEmbeddedDatabase = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-pglite-'));
  try {
    const dataDir = join(dir, 'pgdata');
    await copyInitialisedDataDir(dataDir);
    const embedded = await startEmbeddedDatabase({ dataDir });
    return {
      url: embedded.url,
      poolMax: 1,
      embedded,
      dispose: async () => {
        await embedded.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
};

/**
 * A fresh, migrated PostgreSQL database and the storage over it. With
 * `LATCHKEY_TEST_DATABASE_URL` set, a new database is created on that server and dropped by
 * `cleanup`; otherwise the embedded database (PGlite) runs in a temporary directory.
 *
 * ```ts
 * let pg: PostgresHarness;
 * before(async () => { pg = await withPostgres(); });
 * beforeEach(() => pg.truncate());
 * after(() => pg.cleanup());
 * ```
 */
export const withPostgres = async (options: WithPostgresOptions = {}): Promise<PostgresHarness> => {
  const serverUrl = options.embedded === true ? undefined : process.env[TEST_DATABASE_URL_VARIABLE];
  // A copy of the run's migrated template is already migrated: a copy takes a tenth of a second,
  // the migrations most of a second.
  const template = process.env[TEST_TEMPLATE_VARIABLE];
  const database =
    serverUrl === undefined || serverUrl === ''
      ? await onEmbeddedDatabase()
      : await onServerDatabase(serverUrl, { ...options, ...(template === undefined ? {} : { template }) });
  const warnings: string[] = [];
  let storage: PostgresStorage;
  try {
    storage = await connect(database.url, database.poolMax, warnings, options.lookupCache);
  } catch (error) {
    await database.dispose();
    throw error;
  }
  // The embedded database serves one connection at a time: no lock connection beside the pool.
  const migrateNow = () => migrate(storage.orm, { exclusive: database.embedded === undefined });
  try {
    if (database.embedded !== undefined || template === undefined) await migrateNow();
  } catch (error) {
    await storage.close();
    await database.dispose();
    throw error;
  }
  return {
    storage,
    embedded: database.embedded,
    warnings,
    migrate: migrateNow,
    // DELETE, children first, rather than TRUNCATE: on tables of a few rows it takes a
    // millisecond, where TRUNCATE, which gives every table new files, takes a tenth of a second.
    truncate: async () => {
      await storage.orm.em
        .getConnection()
        .execute(`begin; ${TABLES.map((table) => `delete from ${table}`).join('; ')}; commit`);
    },
    cleanup: async () => {
      try {
        await storage.close();
      } finally {
        await database.dispose();
      }
    },
  };
};
