import { connectionPoolOf, repositoriesOn, type PostgresOrm } from '@latchkey/adapters-postgres';
import { expect } from 'chai';
import pg from 'pg';
import { aUser } from '../contract/fixtures.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';

/** How many connections knex's pool holds or is opening. */
interface PoolCounts {
  numUsed(): number;
  numFree(): number;
  numPendingCreates(): number;
}

const connectionsOf = (orm: PostgresOrm): number => {
  const { pool } = orm.em.getConnection().getKnex().client as { pool: PoolCounts };
  return pool.numUsed() + pool.numFree() + pool.numPendingCreates();
};

/** Whether `promise` is still pending after `ms`. */
const stillPending = async (promise: Promise<unknown>, ms: number): Promise<boolean> => {
  const pending = Symbol('pending');
  const timer = new Promise((resolve) => {
    setTimeout(() => {
      resolve(pending);
    }, ms);
  });
  return (await Promise.race([promise, timer])) === pending;
};

const COUNT_USERS = 'select count(*)::int as n from users';

/*
 * What the SQL gateway relies on in MikroORM and knex, so that an upgrade that changes it fails
 * here: knex's pool hands out clients of the `pg` module the adapter declares, and statements sent
 * through the gateway and through MikroORM take their connections from that one pool (the
 * embedded database serves one connection; docs/http-api.md#configuration).
 */
describe('the PostgreSQL SQL gateway and MikroORM', () => {
  let harness: PostgresHarness;

  before(async () => {
    harness = await withPostgres({ poolMax: 1 });
  });
  beforeEach(() => harness.truncate());
  after(() => harness.cleanup());

  it("takes pg clients of the adapter's own pg module from MikroORM's pool", async () => {
    const pool = connectionPoolOf(harness.storage.orm);
    const connection = await pool.acquire();
    try {
      expect(connection).to.be.instanceOf(pg.Client);
      expect(connectionsOf(harness.storage.orm)).to.equal(1);
    } finally {
      await pool.release(connection);
    }
  });

  it('makes a MikroORM statement wait for the connection a gateway transaction holds', async () => {
    const { orm, sql, users } = harness.storage;
    let seen: Promise<{ n: number }[]> | undefined;
    await sql.transaction(async (tx) => {
      expect(await repositoriesOn(tx).users.insert(aUser(1), 'h')).to.equal('inserted');
      seen = orm.em.getConnection().execute<{ n: number }[]>(COUNT_USERS);
      expect(await stillPending(seen, 300), 'MikroORM waited for the pool').to.equal(true);
      expect(connectionsOf(orm)).to.equal(1);
    });
    expect(await seen).to.deep.equal([{ n: 1 }]);
    expect(await users.any()).to.equal(true);
  });

  it('makes a gateway statement wait for the connection a MikroORM transaction holds', async () => {
    const { orm, users } = harness.storage;
    const connection = orm.em.getConnection();
    const trx = await connection.begin();
    let any: Promise<boolean> | undefined;
    try {
      await connection.execute(
        "insert into users (id, email, username, role, password_hash, created_at) values (?, 'a@example.com', 'a', 'member', 'h', now())",
        [aUser(1).id],
        'run',
        trx,
      );
      any = users.any();
      expect(await stillPending(any, 300), 'the gateway waited for the pool').to.equal(true);
      expect(connectionsOf(orm)).to.equal(1);
    } finally {
      await connection.commit(trx);
    }
    expect(await any).to.equal(true);
  });
});
