import type { EntityKey, EntityMetadata, EntitySchema, MikroORM, Platform } from '@mikro-orm/core';
import type { Knex, PostgreSqlDriver } from '@mikro-orm/postgresql';
import pg from 'pg';
import { toStorageError } from './storage-errors.js';

/*
 * The SQL gateway: every statement of the PostgreSQL adapter goes through `Sql`, as text with
 * `$n` parameters handed to the `pg` driver on a connection of MikroORM's pool. MikroORM itself
 * sends nothing here but the migrations; it supplies the pool and the schemas' metadata.
 *
 * - One pool. The connections come from MikroORM's (knex's) pool, through `Knex.Client`'s
 *   `acquireConnection` and `releaseConnection`, and are clients of the `pg` module this package
 *   declares; `connectionPoolOf` checks that knex's driver is that very module, so a MikroORM
 *   upgrade that changes driver or pool fails at start-up instead of opening a second pool (the
 *   embedded database serves one connection; docs/http-api.md#configuration).
 * - Prepared where it pays. A `Statement` with a `name` is prepared once per connection and then
 *   only bound and executed: the token path, lookups by a unique column, inserts. The others go
 *   unnamed (parsed and planned on every send), as listing and maintenance do.
 * - One transaction helper, `Sql#transaction`: BEGIN and COMMIT on one pooled connection, with a
 *   `Sql` bound to it for the work. No AsyncLocalStorage (see `transaction`).
 * - One error mapping. Whatever a statement, the pool or a row mapper throws leaves the gateway
 *   as the domain's `StorageError` (`toStorageError`): the driver's error, whose detail quotes
 *   values, never does.
 * - Column lists, casts and row mapping come from the entity schemas' metadata (`Tables`), so a
 *   column is written in its migration and its schema only.
 */

export type PostgresOrm = MikroORM<PostgreSqlDriver>;

/** A row as the driver returns it: columns by name, timestamps as text, arrays and JSON parsed. */
export type Raw = Readonly<Record<string, unknown>>;

/**
 * A statement. `text` is SQL with `$n` parameters, or builds it from the schemas' metadata (once
 * per storage). `name` makes it a named prepared statement; it must be unique per text.
 */
export interface Statement {
  readonly name?: string;
  readonly text: string | ((tables: Tables) => string);
  /**
   * The statement writes only bookkeeping (a last-use time, a first-token time) that no decision
   * made from a cached lookup depends on: it leaves the lookup cache alone, where it would
   * otherwise make every entry stale once a minute per session or secret. A cached row may show
   * such a time up to the cache's TTL late.
   */
  readonly bookkeeping?: true;
}

/** A `pg` connection of MikroORM's pool, as knex hands it out. */
export type Connection = pg.Client;

/** How the pool's connections are used at one moment (docs/metrics.md). */
export interface PoolUse {
  /** Connections handed out. */
  readonly inUse: number;
  /** Open connections waiting to be handed out. */
  readonly idle: number;
  /** Calls waiting for a connection. */
  readonly waiting: number;
}

/**
 * Receives the time each statement took, from sending it to its result (not counting the wait
 * for a connection), by its prepared statement name (`undefined`: an unnamed statement), and
 * whether it failed (docs/metrics.md).
 */
export type StatementObserver = (name: string | undefined, seconds: number, failed: boolean) => void;

/** MikroORM's connection pool, and connections of their own beside it. */
export interface ConnectionPool {
  acquire(): Promise<Connection>;
  release(connection: Connection): Promise<void>;
  /** The pool's connections now; all zero once it is closed. */
  use(): PoolUse;
  /** A new connection outside the pool, configured as the pool's are; `close` ends it. */
  openOwn(): Promise<Connection>;
  closeOwn(connection: Connection): Promise<void>;
}

/**
 * The pool of `orm`: knex's client, whose connections are `pg` clients. Throws when knex's driver
 * is not the `pg` module this package depends on.
 */
export const connectionPoolOf = (orm: PostgresOrm): ConnectionPool => {
  const knex: Knex = orm.config.getDriver().getConnection('write').getKnex();
  const client = knex.client as Knex.Client;
  if (client.driver !== pg)
    throw new Error(
      "MikroORM's connection pool does not use the pg module of @latchkey/adapters-postgres; align their versions",
    );
  return {
    acquire: () => client.acquireConnection() as Promise<Connection>,
    release: async (connection) => {
      await client.releaseConnection(connection);
    },
    use: () => {
      // knex's pool (tarn): `undefined` once the ORM is closed.
      const pool = client.pool;
      return pool === undefined
        ? { inUse: 0, idle: 0, waiting: 0 }
        : { inUse: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires() };
    },
    openOwn: () => client.acquireRawConnection() as Promise<Connection>,
    closeOwn: (connection) => client.destroyRawConnection(connection),
  };
};

/**
 * Starts every new pooled connection with no prepared statements (knex's `pool.afterCreate`).
 * `pg` remembers which named statements it prepared per client and assumes a new client has
 * none; the embedded database serves every socket from one session, whose prepared statements
 * outlive the socket that made them, so a connection opened after another died would otherwise
 * be refused them ("prepared statement already exists"). On a PostgreSQL server this is a no-op.
 */
export const forgetPreparedStatements = (
  connection: Connection,
  done: (error: Error | undefined, connection: Connection) => void,
): void => {
  connection.query('deallocate all').then(
    () => {
      done(undefined, connection);
    },
    (error: unknown) => {
      done(error instanceof Error ? error : new Error(String(error)), connection);
    },
  );
};

interface Column {
  readonly property: string;
  /** Quoted. */
  readonly name: string;
  readonly field: string;
  /** The column type, for casts: `uuid`, `text[]`, `timestamptz`, … */
  readonly type: string;
  readonly json: boolean;
  /** Read as a `Date` (the pool returns timestamps as text). */
  readonly date: boolean;
}

interface Table {
  /** Quoted. */
  readonly name: string;
  readonly columns: readonly Column[];
}

/** How `Tables#row` reads one table's columns under one prefix. */
interface Reader {
  readonly keys: readonly string[];
  readonly properties: readonly string[];
  readonly dates: readonly boolean[];
}

/** Stores `value` under `key` in `map`, and returns it: the miss of a `map.get(key) ?? …` cache. */
const remember = <K, V>(map: Map<K, V>, key: K, value: V): V => {
  map.set(key, value);
  return value;
};

/** `schema` as a key of the caches here, which hold every row type. */
const keyOf = <Row extends object>(schema: EntitySchema<Row>) => schema as unknown as EntitySchema<never>;

const quoted = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/**
 * The tables of the entity schemas, as MikroORM's metadata describes them: names, column lists
 * and casts for statements, and the mapping of returned rows to the schemas' row types.
 */
export class Tables {
  private readonly tables = new Map<EntitySchema<never>, Table>();
  private readonly platform: Platform;

  constructor(private readonly orm: PostgresOrm) {
    this.platform = orm.config.getPlatform();
  }

  private of<Row extends object>(schema: EntitySchema<Row>): Table {
    return this.tables.get(keyOf(schema)) ?? remember(this.tables, keyOf(schema), this.describe(schema));
  }

  private describe<Row extends object>(schema: EntitySchema<Row>): Table {
    const meta = this.orm.getMetadata().get<Row>(schema.meta.className) as EntityMetadata;
    return {
      name: quoted(meta.tableName),
      columns: meta.props.map((prop) => {
        const [field] = prop.fieldNames;
        const [type] = prop.columnTypes;
        if (field === undefined || type === undefined)
          throw new Error(`${meta.className}.${prop.name} has no single column`);
        return {
          property: prop.name,
          name: quoted(field),
          field,
          type,
          json: type.startsWith('json'),
          date: prop.runtimeType === 'Date',
        };
      }),
    };
  }

  private column<Row extends object>(schema: EntitySchema<Row>, property: EntityKey<Row>): Column {
    const column = this.of(schema).columns.find((c) => c.property === property);
    if (column === undefined) throw new Error(`no column for ${schema.meta.className}.${property}`);
    return column;
  }

  /** The quoted table name. */
  name<Row extends object>(schema: EntitySchema<Row>): string {
    return this.of(schema).name;
  }

  /**
   * Every column for a select list, qualified with `alias`; with a `prefix`, each is returned
   * under `prefix` + its name, for `row(schema, raw, prefix)`.
   */
  select<Row extends object>(schema: EntitySchema<Row>, alias: string, prefix?: string): string {
    return this.of(schema)
      .columns.map(
        (c) => `${alias}.${c.name}${prefix === undefined ? '' : ` as ${quoted(prefix + c.field)}`}`,
      )
      .join(', ');
  }

  /** Every column, for an insert's column list, in the order of `values`. */
  columns<Row extends object>(schema: EntitySchema<Row>): string {
    return this.of(schema)
      .columns.map((c) => c.name)
      .join(', ');
  }

  /** `$first::type, …`: one parameter per column, cast to the column's type, in the order of `values`. */
  parameters<Row extends object>(schema: EntitySchema<Row>, first: number): string {
    return this.of(schema)
      .columns.map((c, i) => `$${first + i}::${c.type}`)
      .join(', ');
  }

  /** The parameter `parameters(schema, first)` gives `property`. */
  parameter<Row extends object>(schema: EntitySchema<Row>, first: number, property: EntityKey<Row>): string {
    const column = this.column(schema, property);
    return `$${first + this.of(schema).columns.indexOf(column)}::${column.type}`;
  }

  /** How many columns (so parameters) `schema` has. */
  width<Row extends object>(schema: EntitySchema<Row>): number {
    return this.of(schema).columns.length;
  }

  /**
   * `row`'s values in column order, but for the columns of `except`: absent ones null, JSON
   * serialised.
   */
  values<Row extends object>(
    schema: EntitySchema<Row>,
    row: Row,
    except: readonly EntityKey<Row>[] = [],
  ): unknown[] {
    const fields = row as unknown as Record<string, unknown>;
    const values: unknown[] = [];
    for (const c of this.of(schema).columns) {
      if (except.length > 0 && (except as readonly string[]).includes(c.property)) continue;
      const value = fields[c.property] ?? null;
      values.push(c.json && value !== null ? JSON.stringify(value) : value);
    }
    return values;
  }

  /**
   * `"column" = $n::type, …` for every column but those of `except`, numbered from `first`, in
   * the order of `values(schema, row, except)`.
   */
  assignments<Row extends object>(
    schema: EntitySchema<Row>,
    first: number,
    except: readonly EntityKey<Row>[] = [],
  ): string {
    return this.of(schema)
      .columns.filter((c) => !(except as readonly string[]).includes(c.property))
      .map((c, i) => `${c.name} = $${first + i}::${c.type}`)
      .join(', ');
  }

  /** The quoted column of `property`. */
  columnName<Row extends object>(schema: EntitySchema<Row>, property: EntityKey<Row>): string {
    return this.column(schema, property).name;
  }

  /**
   * A returned row as `schema`'s row type; `prefix` as given to `select`. Each column is read
   * under its name (after `prefix`) into its property; timestamps, which the pool returns as text,
   * become `Date`s as MikroORM parses them, and everything else is as the driver parsed it
   * (booleans, numbers, arrays, JSON). MikroORM's own result mapper does the same for these
   * column types, and also copies and tracks every other key, which costs the joined rows of the
   * token path more than the rest of their mapping.
   */
  row<Row extends object>(schema: EntitySchema<Row>, raw: Raw, prefix = ''): Row {
    const { keys, properties, dates } = this.reader(schema, prefix);
    const row: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i += 1) {
      const value = raw[keys[i] as string];
      row[properties[i] as string] =
        dates[i] === true && typeof value === 'string' ? this.platform.parseDate(value) : value;
    }
    return row as Row;
  }

  private readonly readers = new Map<EntitySchema<never>, Map<string, Reader>>();

  private reader<Row extends object>(schema: EntitySchema<Row>, prefix: string): Reader {
    const byPrefix =
      this.readers.get(keyOf(schema)) ?? remember(this.readers, keyOf(schema), new Map<string, Reader>());
    return byPrefix.get(prefix) ?? remember(byPrefix, prefix, this.newReader(schema, prefix));
  }

  private newReader<Row extends object>(schema: EntitySchema<Row>, prefix: string): Reader {
    const { columns } = this.of(schema);
    return {
      keys: columns.map((c) => prefix + c.field),
      properties: columns.map((c) => c.property),
      dates: columns.map((c) => c.date),
    };
  }
}

/**
 * The tables whose rows the lookup cache holds, and one whose deletion cascades into them
 * (`oauth2_grants` into `api_keys`). A statement that updates, deletes from, truncates or upserts
 * into one of them makes every cached lookup stale; inserts alone do not (misses are not cached).
 */
const CACHED = String.raw`"?(?:api_keys|users|oauth2_clients|oauth2_client_secrets|oauth2_grants)\b`;
const CHANGES = [
  new RegExp(String.raw`\b(?:update|delete\s+from)\s+(?:only\s+)?${CACHED}`, 'i'),
  new RegExp(String.raw`\btruncate\b[^;]*?[\s,]${CACHED}`, 'i'),
  new RegExp(String.raw`\binsert\s+into\s+${CACHED}[\s\S]*\bdo\s+update\b`, 'i'),
];

/** Whether `text` changes rows the lookup cache may hold (`CACHED`). */
export const changesCachedRows = (text: string): boolean => CHANGES.some((pattern) => pattern.test(text));

/** How the lookup cache is set up (docs/scaling.md#the-lookup-cache). */
export interface LookupCacheOptions {
  /** How long a cached lookup may be served, in ms; 0 turns the cache off. */
  readonly ttlMs: number;
  /** How many lookups it holds at most; the oldest go first. */
  readonly maxEntries?: number;
  /** A monotonic clock in ms; `performance.now` unless a test drives it. */
  readonly now?: () => number;
}

interface CacheEntry {
  readonly value: unknown;
  /** `Database#generation` when the value was read. */
  readonly generation: number;
  /** `now()` after which it is not served. */
  readonly expires: number;
}

const DEFAULT_CACHE_ENTRIES = 50_000;

/**
 * Rows read by a unique key on every authenticated request (an access or session token by
 * digest, a user by id, a client secret with its client by digest), kept for `ttlMs`.
 *
 * - On this instance a change is seen at once: every statement that changes a cached table
 *   (`changesCachedRows`) moves `Database#generation` on before it is sent and again once it is
 *   committed, and an entry read under another generation is never served. A read that overlaps
 *   a change is not stored.
 * - Another instance's change is seen within `ttlMs`, when the entry expires.
 * - Nothing is cached inside a transaction, and misses are not cached.
 */
class LookupCache {
  private readonly entries = new Map<string, CacheEntry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(private readonly options: LookupCacheOptions) {
    this.maxEntries = options.maxEntries ?? DEFAULT_CACHE_ENTRIES;
    this.now = options.now ?? (() => performance.now());
  }

  get(key: string, generation: number): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.generation === generation && entry.expires > this.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, value: unknown, generation: number): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, { value, generation, expires: this.now() + this.options.ttlMs });
  }

  clear(): void {
    this.entries.clear();
  }
}

/** What every `Sql` of one storage shares. */
class Database {
  private readonly texts = new Map<Statement, string>();
  private readonly changing = new Map<string, boolean>();
  readonly tables: Tables;
  /** Where statement durations go while the metrics are on (`Sql#observe`). */
  observer: StatementObserver | undefined;
  /** Lookups served without a round trip; `undefined` when off. */
  readonly cache: LookupCache | undefined;
  /** Moves on with every change to a cached table (`LookupCache`). */
  generation = 0;

  constructor(
    readonly pool: ConnectionPool,
    orm: PostgresOrm,
    cache?: LookupCacheOptions,
    /** Whether named statements are prepared (`SqlOptions.prepared`). */
    readonly prepared = true,
  ) {
    this.tables = new Tables(orm);
    this.cache = cache === undefined || cache.ttlMs <= 0 ? undefined : new LookupCache(cache);
  }

  /** Whether `text` changes cached rows, remembered per text. */
  changes(text: string): boolean {
    return this.changing.get(text) ?? remember(this.changing, text, changesCachedRows(text));
  }

  text(statement: Statement): string {
    const { text } = statement;
    if (typeof text === 'string') return text;
    return this.texts.get(statement) ?? remember(this.texts, statement, text(this.tables));
  }

  private readonly lookups = new Map<EntitySchema<never>, Map<string, Statement>>();
  private readonly inserts = new Map<EntitySchema<never>, Statement>();

  /** `select * … where column = $1 limit 1`, one per table and column. */
  lookup<Row extends object>(schema: EntitySchema<Row>, property: EntityKey<Row>): Statement {
    const byProperty =
      this.lookups.get(keyOf(schema)) ?? remember(this.lookups, keyOf(schema), new Map<string, Statement>());
    return byProperty.get(property) ?? remember(byProperty, property, this.newLookup(schema, property));
  }

  private newLookup<Row extends object>(schema: EntitySchema<Row>, property: EntityKey<Row>): Statement {
    const table = this.tables.name(schema);
    const column = this.tables.columnName(schema, property);
    return {
      name: `latchkey_find_${table}_by_${column}`.replaceAll('"', ''),
      text: `select * from ${table} where ${column} = $1 limit 1`,
    };
  }

  /** `insert into … values (…)` of every column, one per table. */
  insert<Row extends object>(schema: EntitySchema<Row>): Statement {
    return this.inserts.get(keyOf(schema)) ?? remember(this.inserts, keyOf(schema), this.newInsert(schema));
  }

  private newInsert<Row extends object>(schema: EntitySchema<Row>): Statement {
    const table = this.tables.name(schema);
    return {
      name: `latchkey_insert_${table}`.replaceAll('"', ''),
      text: `insert into ${table} (${this.tables.columns(schema)}) values (${this.tables.parameters(schema, 1)})`,
    };
  }
}

/** Runs one statement on `connection` and reports how long it took to `observer`. */
const timed = async (
  connection: Connection,
  config: pg.QueryConfig,
  observer: StatementObserver,
): Promise<pg.QueryResult<Raw>> => {
  const started = performance.now();
  let failed = true;
  try {
    const result = await connection.query<Raw>(config);
    failed = false;
    return result;
  } finally {
    observer(config.name, (performance.now() - started) / 1000, failed);
  }
};

export interface SqlOptions {
  /**
   * Whether statements with a `name` are prepared once per connection (default), or sent unnamed
   * like the others: behind a pooler in transaction mode (docs/deployment.md#pgbouncer), where
   * consecutive statements of one connection may reach different server sessions, a statement
   * prepared on one is unknown to the next.
   */
  readonly prepared?: boolean;
}

/**
 * Sends statements: through the pool (each on whichever connection is free), or, inside
 * `transaction`, on the transaction's connection. Repositories hold one and nothing else of
 * MikroORM's: no EntityManager, so no identity map to carry entities from one request to the
 * next.
 */
export class Sql {
  private constructor(
    private readonly database: Database,
    /** The connection every statement goes to; `undefined`: any of the pool's. */
    private readonly connection: Connection | undefined,
    /** Whether `connection` is in a transaction of `transaction`'s. */
    readonly inTransaction: boolean,
    /** In a transaction: whether it has changed a cached table (`LookupCache`). */
    private readonly changed: { value: boolean } = { value: false },
  ) {}

  /**
   * The gateway of `orm`'s pool; `cache` sets up the lookup cache (off without it), `options` how
   * statements are sent.
   */
  static over(orm: PostgresOrm, cache?: LookupCacheOptions, options: SqlOptions = {}): Sql {
    return new Sql(
      new Database(connectionPoolOf(orm), orm, cache, options.prepared ?? true),
      undefined,
      false,
    );
  }

  /**
   * Runs `work` with a gateway bound to a connection of its own, outside the pool, and closes
   * that connection afterwards: for session state that must end with it, such as the migrations'
   * advisory lock.
   */
  static async onOwnConnection<A>(orm: PostgresOrm, work: (sql: Sql) => Promise<A>): Promise<A> {
    const database = new Database(connectionPoolOf(orm), orm);
    let connection: Connection;
    try {
      connection = await database.pool.openOwn();
    } catch (error) {
      throw toStorageError(error);
    }
    try {
      return await work(new Sql(database, connection, false));
    } finally {
      await database.pool.closeOwn(connection);
    }
  }

  get tables(): Tables {
    return this.database.tables;
  }

  /** How the pool's connections are used now (docs/metrics.md). */
  poolUse(): PoolUse {
    return this.database.pool.use();
  }

  /**
   * Reports every statement sent through this storage's gateways, transactions' included, to
   * `observer` until the returned function is called (docs/metrics.md). One observer at a time.
   */
  observe(observer: StatementObserver): () => void {
    const { database } = this;
    database.observer = observer;
    return () => {
      if (database.observer === observer) database.observer = undefined;
    };
  }

  private async send(statement: Statement, values: unknown[]): Promise<pg.QueryResult<Raw>> {
    const { database } = this;
    const text = database.text(statement);
    if (database.cache === undefined || statement.bookkeeping === true || !database.changes(text))
      return this.sendText(statement, text, values);
    // Stale from now on, and again once the change is committed (`LookupCache`).
    database.generation += 1;
    if (this.inTransaction) this.changed.value = true;
    try {
      return await this.sendText(statement, text, values);
    } finally {
      if (!this.inTransaction) database.generation += 1;
    }
  }

  private async sendText(
    statement: Statement,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<Raw>> {
    const config: pg.QueryConfig =
      statement.name === undefined || !this.database.prepared
        ? { text, values }
        : { name: statement.name, text, values };
    const { observer } = this.database;
    if (this.connection !== undefined)
      return observer === undefined
        ? this.connection.query<Raw>(config)
        : timed(this.connection, config, observer);
    const { pool } = this.database;
    const connection = await pool.acquire();
    try {
      return await (observer === undefined
        ? connection.query<Raw>(config)
        : timed(connection, config, observer));
    } finally {
      await pool.release(connection);
    }
  }

  /** Every returned row, each through `map`. */
  async all<A>(statement: Statement, values: unknown[], map: (raw: Raw) => A): Promise<A[]> {
    try {
      return (await this.send(statement, values)).rows.map(map);
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** The first returned row through `map`, or `undefined` when there is none. */
  async first<A>(statement: Statement, values: unknown[], map: (raw: Raw) => A): Promise<A | undefined> {
    try {
      const [raw] = (await this.send(statement, values)).rows;
      return raw === undefined ? undefined : map(raw);
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** How many rows the statement wrote (or returned). */
  async count(statement: Statement, values: unknown[] = []): Promise<number> {
    try {
      return (await this.send(statement, values)).rowCount ?? 0;
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Every returned row as `schema`'s row type, each through `map`. */
  entities<Row extends object, A>(
    schema: EntitySchema<Row>,
    statement: Statement,
    values: unknown[],
    map: (row: Row) => A,
  ): Promise<A[]> {
    return this.all(statement, values, (raw) => map(this.tables.row(schema, raw)));
  }

  /** The row whose unique column of `property` holds `value`, through `map`; prepared. */
  lookup<Row extends object, A>(
    schema: EntitySchema<Row>,
    property: EntityKey<Row>,
    value: string,
    map: (row: Row) => A,
  ): Promise<A | undefined> {
    return this.first(this.database.lookup(schema, property), [value], (raw) =>
      map(this.tables.row(schema, raw)),
    );
  }

  /**
   * `load()` through the lookup cache under `key` (a key names its table and unique column):
   * served from the cache while the entry is fresh, else loaded and, outside a transaction and
   * when no change to a cached table overlapped the load, stored. See `LookupCache`.
   */
  async remembered<A>(key: string, load: () => Promise<A | undefined>): Promise<A | undefined> {
    const { database } = this;
    const { cache } = database;
    if (cache === undefined || this.connection !== undefined) return load();
    const generation = database.generation;
    const hit = cache.get(key, generation);
    if (hit !== undefined) return hit as A;
    const value = await load();
    if (value !== undefined && database.generation === generation) cache.set(key, value, generation);
    return value;
  }

  /** Empties the lookup cache (tests that change rows behind the gateway's back). */
  forgetLookups(): void {
    this.database.cache?.clear();
  }

  /** Inserts `row` with every column (absent ones null); prepared. */
  async insert<Row extends object>(schema: EntitySchema<Row>, row: Row): Promise<void> {
    await this.count(this.database.insert(schema), this.tables.values(schema, row));
  }

  /**
   * Runs `work` in this gateway's transaction when it has one, or else in a new one on a pooled
   * connection: committed when `work` resolves, rolled back when it rejects, and the rejection
   * rethrown as it is. Failing to get a connection, BEGIN or COMMIT throws a `StorageError`.
   *
   * BEGIN and COMMIT are plain statements on the connection: MikroORM's transactions bind their
   * context through an AsyncLocalStorage, and the first `run` of any AsyncLocalStorage switches
   * Node's promise hooks on for the rest of the process, which every promise of every request
   * then pays for (~5% of the CPU of a PostgreSQL token request in the benchmark's profile).
   */
  async transaction<A>(work: (tx: Sql) => Promise<A>): Promise<A> {
    if (this.inTransaction) return work(this);
    if (this.connection !== undefined) throw new Error('a transaction on a connection of its own');
    const { pool } = this.database;
    let connection: Connection;
    try {
      connection = await pool.acquire();
    } catch (error) {
      throw toStorageError(error);
    }
    const changed = { value: false };
    try {
      try {
        await connection.query('begin');
      } catch (error) {
        throw toStorageError(error);
      }
      let result: A;
      try {
        result = await work(new Sql(this.database, connection, true, changed));
      } catch (error) {
        await connection.query('rollback').catch(() => {
          // The work's error is the one to report; a connection that died is discarded by the pool.
        });
        throw error;
      }
      try {
        await connection.query('commit');
      } catch (error) {
        throw toStorageError(error);
      }
      return result;
    } finally {
      // Committed or rolled back: what the transaction changed is visible or gone either way.
      if (changed.value) this.database.generation += 1;
      await pool.release(connection);
    }
  }
}
