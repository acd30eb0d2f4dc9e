import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * A statement of the token path, sent through the `pg` driver as a named prepared statement:
 * PostgreSQL parses and plans it once per connection, and the driver skips MikroORM's and knex's
 * query building, which cost several times the statement itself on this path (see the
 * benchmark's query-cost script). `name` must be unique per `text`.
 */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** The part of a `pg` client this module uses. */
interface PgClient {
  query(config: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/** The part of knex's client (or a knex transaction's) that hands out connections. */
interface ConnectionSource {
  acquireConnection(): Promise<PgClient>;
  releaseConnection(connection: PgClient): Promise<unknown>;
}

const connectionSourceOf = (em: EntityManager): ConnectionSource => {
  // Inside a transaction (`withinTransaction`), knex's transaction client hands out its own
  // connection (and releasing it is a no-op); outside, the pool's client lends one.
  const knex = em.getTransactionContext<{ client: ConnectionSource }>() ?? em.getConnection().getKnex();
  return (knex as unknown as { client: ConnectionSource }).client;
};

/**
 * Runs `statement` with `values` on `em`'s connection (its transaction's, if it has one) and
 * returns the rows. Timestamps come back as PostgreSQL's text (the pool's type parsers are
 * MikroORM's), arrays and JSON parsed.
 */
export const query = async <Row>(
  em: EntityManager,
  statement: Statement,
  values: unknown[],
): Promise<Row[]> => {
  const source = connectionSourceOf(em);
  const connection = await source.acquireConnection();
  try {
    const result = await connection.query({ name: statement.name, text: statement.text, values });
    return result.rows as Row[];
  } finally {
    await source.releaseConnection(connection);
  }
};

/** A `timestamptz` as the pool returns it (text) or as a `Date`. */
export const toDate = (value: string | Date): Date => (value instanceof Date ? value : new Date(value));

/** A nullable `timestamptz`. */
export const toOptionalDate = (value: string | Date | null): Date | null =>
  value === null ? null : toDate(value);
