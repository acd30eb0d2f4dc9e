import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs `work` in `em`'s transaction when it has one, or else in a new transaction on a fork of
 * it: committed when `work` resolves, rolled back when it rejects (the rejection is rethrown).
 *
 * Begun and ended on the connection itself, and bound to the fork with `setTransactionContext`.
 * MikroORM's own ways both wrap the work in an AsyncLocalStorage: `em.transactional` binds the
 * transaction through one, and `em.commit` flushes the unit of work inside another (there is
 * never anything to flush: every write here is a native statement). The first `run` of any
 * AsyncLocalStorage switches on Node's promise hooks for the rest of the process, and every
 * promise of every request pays for them afterwards (~5% of the CPU of a PostgreSQL token
 * request in the benchmark's profile). Repositories here always receive their EntityManager
 * explicitly, so that context is never needed.
 */
export const withinTransaction = async <A>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<A>,
): Promise<A> => {
  if (em.isInTransaction()) return work(em);
  const tx = em.fork();
  const connection = tx.getConnection('write');
  const context = await connection.begin();
  tx.setTransactionContext(context);
  let result: A;
  try {
    result = await work(tx);
  } catch (error) {
    await connection.rollback(context).catch(() => {
      // The work's error is the one to report; knex releases the connection either way.
    });
    tx.resetTransactionContext();
    throw error;
  }
  try {
    await connection.commit(context);
  } finally {
    tx.resetTransactionContext();
  }
  return result;
};
