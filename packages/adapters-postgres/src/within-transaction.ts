import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Runs `work` in `em`'s transaction when it has one, or else in a new transaction on a fork of
 * it: committed when `work` resolves, rolled back when it rejects (the rejection is rethrown).
 *
 * Built on `begin`/`commit`/`rollback` rather than `em.transactional`, which binds the
 * transaction through an AsyncLocalStorage: its first use switches on Node's promise hooks for
 * the rest of the process, and every promise of every request pays for them afterwards (they
 * were ~5% of the CPU of a PostgreSQL token request in the benchmark's profile). Repositories
 * here always receive their EntityManager explicitly, so that context is never needed.
 */
export const withinTransaction = async <A>(
  em: EntityManager,
  work: (tx: EntityManager) => Promise<A>,
): Promise<A> => {
  if (em.isInTransaction()) return work(em);
  const tx = em.fork();
  await tx.begin();
  let result: A;
  try {
    result = await work(tx);
  } catch (error) {
    await tx.rollback().catch(() => {
      // The work's error is the one to report; knex releases the connection either way.
    });
    throw error;
  }
  await tx.commit();
  return result;
};
