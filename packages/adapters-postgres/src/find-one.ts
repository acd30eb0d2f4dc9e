import type { EntityData, EntityKey, EntitySchema } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * One row by a unique column, sent as plain SQL and mapped with the entity's metadata. The
 * token path looks rows up this way because the QueryBuilder costs three to five times the CPU
 * of the statement itself (measured by the benchmark's query-cost script: ~300-460 µs against
 * ~90 µs per lookup).
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
  const rows = await em.execute<Record<string, unknown>[]>(
    `select * from "${meta.tableName}" where "${column}" = ? limit 1`,
    [value],
  );
  const raw = rows[0];
  return raw === undefined ? undefined : (em.getDriver().mapResult<Row>(raw as EntityData<Row>, meta) as Row);
};
