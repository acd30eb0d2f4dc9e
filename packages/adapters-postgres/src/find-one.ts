import type { EntityData, EntityKey, EntitySchema } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { query, type Statement } from './sql.js';

/** One lookup statement per table and column, built once. */
const statements = new Map<string, Statement>();

const lookupStatement = (table: string, column: string): Statement => {
  const key = `${table}.${column}`;
  let statement = statements.get(key);
  if (statement === undefined) {
    statement = {
      name: `latchkey_find_${table}_by_${column}`,
      text: `select * from "${table}" where "${column}" = $1 limit 1`,
    };
    statements.set(key, statement);
  }
  return statement;
};

/**
 * One row by a unique column, sent as a named prepared statement through `pg` and mapped with
 * the entity's metadata. Every request looks rows up this way (credentials by digest, users and
 * clients by id) because the QueryBuilder costs three to five times the CPU of the statement
 * itself (measured by the benchmark's query-cost script).
 */
export const findOne = async <Row extends object>(
  em: EntityManager,
  schema: EntitySchema<Row>,
  property: EntityKey<Row>,
  value: string,
): Promise<Row | undefined> => {
  const meta = em.getMetadata().get<Row>(schema.meta.className);
  const properties: Partial<Record<string, { fieldNames: string[] }>> = meta.properties;
  const column = properties[property]?.fieldNames[0];
  if (column === undefined) throw new Error(`no column for ${schema.meta.className}.${property}`);
  const [raw] = await query<Record<string, unknown>>(em, lookupStatement(meta.tableName, column), [value]);
  return raw === undefined ? undefined : (em.getDriver().mapResult<Row>(raw as EntityData<Row>, meta) as Row);
};
