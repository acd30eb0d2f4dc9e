import {
  createPostgresStorage,
  migrate,
  MIGRATIONS,
  type PostgresStorage,
} from '@latchkey/adapters-postgres';
import { expect } from 'chai';
import { onServerDatabase, requiredServerUrl } from '../support/postgres.js';

const ALL = MIGRATIONS.map((migration) => migration.name);

describe('instances starting together on one PostgreSQL database', () => {
  it('apply every migration exactly once, one instance after the other, and all of them start', async function () {
    // Two instances need a PostgreSQL server: only one process can open the embedded database.
    const serverUrl = requiredServerUrl(() => this.skip());
    const database = await onServerDatabase(serverUrl);
    const instances: PostgresStorage[] = [];
    try {
      for (let i = 0; i < 4; i += 1)
        instances.push(await createPostgresStorage({ clientUrl: database.url, poolMax: 2 }));
      const applied = await Promise.all(instances.map((instance) => migrate(instance.orm)));
      // One instance applied them all; the others waited and found nothing pending.
      expect(applied.flat().sort()).to.deep.equal([...ALL].sort());
      expect(applied.filter((names) => names.length > 0)).to.have.length(1);
      const recorded = await instances[0]?.orm.em
        .getConnection()
        .execute<{ name: string }[]>('select name from mikro_orm_migrations order by id');
      expect(recorded?.map((row) => row.name)).to.deep.equal(ALL);
      // And each instance works on the schema.
      for (const instance of instances) expect(await instance.health.ping()).to.equal(true);
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await database.dispose();
    }
  });
});
