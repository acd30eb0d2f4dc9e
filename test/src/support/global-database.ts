import { randomBytes } from 'node:crypto';
import { createPostgresStorage, migrate } from '@latchkey/adapters-postgres';
import {
  databaseUrlOn,
  onServer,
  runDatabasePrefix,
  TEST_DATABASE_URL_VARIABLE,
  TEST_RUN_VARIABLE,
  TEST_TEMPLATE_VARIABLE,
} from './postgres.js';

/**
 * Mocha global fixtures (`require`d by the mocha configuration), run once in the main process
 * before the test processes start and after they end. With a PostgreSQL server to test on:
 *
 * - setup names the run (every database the run creates starts with `runDatabasePrefix()`) and
 *   migrates one database that `withPostgres` then copies (`create database … template …`)
 *   instead of migrating each of its databases anew;
 * - teardown drops every database of the run that is still there: the template, and those whose
 *   drop a test process did not wait for (`onServerDatabase`).
 *
 * The test processes inherit both names through the environment.
 */
const serverUrl = (): string | undefined => {
  const url = process.env[TEST_DATABASE_URL_VARIABLE];
  return url === undefined || url === '' ? undefined : url;
};

/**
 * A server that does not answer, or a template that cannot be made, is not the run's failure:
 * the suites then make and migrate their own databases, and those that need the server fail
 * (or skip) as they would without this fixture, while the rest still run.
 */
export const mochaGlobalSetup = async (): Promise<void> => {
  const server = serverUrl();
  if (server === undefined) return;
  const run = `${randomBytes(4).toString('hex')}_`;
  const template = `latchkey_test_${run}template`;
  try {
    await onServer(server, `create database ${template}`);
  } catch (error) {
    process.stderr.write(`no template database (${String(error)}); each suite migrates its own\n`);
    return;
  }
  try {
    const storage = await createPostgresStorage({ clientUrl: databaseUrlOn(server, template), poolMax: 1 });
    try {
      await migrate(storage.orm, { exclusive: false });
    } finally {
      await storage.close();
    }
  } catch (error) {
    process.stderr.write(`no template database (${String(error)}); each suite migrates its own\n`);
    await onServer(server, `drop database if exists ${template} with (force)`).catch(() => undefined);
    return;
  }
  process.env[TEST_RUN_VARIABLE] = run;
  process.env[TEST_TEMPLATE_VARIABLE] = template;
};

export const mochaGlobalTeardown = async (): Promise<void> => {
  const server = serverUrl();
  if (server === undefined || process.env[TEST_RUN_VARIABLE] === undefined) return;
  const left = await onServer(server, 'select datname from pg_database where starts_with(datname, $1)', [
    runDatabasePrefix(),
  ]);
  for (const { datname } of left)
    await onServer(server, `drop database if exists ${String(datname)} with (force)`);
};
