import { ENTITY_SCHEMAS } from '@latchkey/adapters-postgres';
import { expect } from 'chai';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

interface ColumnFacts {
  readonly column: string;
  readonly type: string;
  readonly nullable: boolean;
}

const byName = (a: ColumnFacts, b: ColumnFacts) => a.column.localeCompare(b.column);

/*
 * A column is written twice: in its migration (the database's truth) and in its entity schema,
 * from which the gateway derives every column list, cast and row mapping. Here the two must name
 * the same columns, of the same types and nullability, in every table.
 */
describe('the entity schemas and the migrated tables', () => {
  let harness: PostgresHarness;

  before(async () => {
    harness = await withPostgres();
  });
  after(() => harness.cleanup());

  for (const schema of ENTITY_SCHEMAS) {
    it(`agree on every column of ${schema.meta.className}`, async () => {
      const { orm, sql } = harness.storage;
      const meta = orm.getMetadata().get(schema.meta.className);
      const inDatabase = await sql.all(
        {
          text: `
            select a.attname as column, format_type(a.atttypid, a.atttypmod) as type, not a.attnotnull as nullable
              from pg_attribute a
             where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped`,
        },
        [meta.tableName],
        (raw) => raw as unknown as ColumnFacts,
      );
      const inSchema: ColumnFacts[] = [];
      for (const prop of meta.props) {
        // The type as PostgreSQL spells it (`timestamptz` is `timestamp with time zone`).
        const type = await sql.first(
          { text: 'select $1::regtype::text as type' },
          [prop.columnTypes[0]],
          (raw) => String(raw.type),
        );
        inSchema.push({
          column: prop.fieldNames[0] ?? '',
          type: type ?? '',
          nullable: prop.nullable === true,
        });
      }
      expect(inSchema.sort(byName)).to.deep.equal(inDatabase.sort(byName));
    });
  }
});
