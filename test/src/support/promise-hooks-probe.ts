/**
 * Run as a child process by the promise-hooks test: migrates a fresh PostgreSQL database (the
 * server's with `LATCHKEY_TEST_DATABASE_URL`, else the embedded one), commits one transaction and
 * rolls one back through the storage's Transactor, then prints what an `await` continuation
 * sees as its async id: 0 while Node's promise hooks are off, a promise's id once any
 * AsyncLocalStorage has switched them on. A last line shows the probe itself catching them.
 */
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import * as E from 'fp-ts/lib/Either.js';
import { aUser } from '../contract/fixtures.js';
import { withPostgres } from './postgres.js';

const probe = async (): Promise<number> => {
  await Promise.resolve();
  return executionAsyncId();
};

const pg = await withPostgres();
try {
  await pg.storage.transactor.run((tx) => async () => {
    await tx.users.insert(aUser(1), 'h');
    return E.right(undefined);
  });
  await pg.storage.transactor.run((tx) => async () => {
    await tx.users.insert(aUser(2), 'h');
    return E.left('undone');
  });
  const committed = (await pg.storage.users.findById(aUser(1).id)) !== undefined;
  const rolledBack = (await pg.storage.users.findById(aUser(2).id)) === undefined;
  const afterTransactions = await probe();
  new AsyncLocalStorage().run(true, () => undefined);
  const afterAsyncLocalStorage = await probe();
  process.stdout.write(
    `${JSON.stringify({ committed, rolledBack, afterTransactions, afterAsyncLocalStorage })}\n`,
  );
} finally {
  await pg.cleanup();
}
