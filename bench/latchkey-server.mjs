// One Latchkey process for the benchmark (bench/run.mjs forks it with an IPC channel).
//
// Configuration comes from the LATCHKEY_* environment the parent sets. With PostgreSQL storage
// this process also records, while the parent asks for it (never during a measured round), every
// statement the server sends, at the `pg` driver: `Client#query` of the `pg` module that knex's
// pool creates its connections with (and of any other `pg` the PostgreSQL adapter resolves), so
// that MikroORM's literal SQL and the server's own parameterised or named prepared statements are
// seen alike. Each is recorded as `{text, values, name}`, the values as the text the driver sends.
//
// Messages from the parent: {type: 'capture', on: boolean} → {type: 'captured', statements}
// (the statements recorded since capture was switched on); {type: 'stop'} → stops and exits 0
// (which is also when `--cpu-prof` writes its profile); {type: 'mark'} → {type: 'marked', micros}
// (this process's monotonic clock, which the CPU profile's timestamps also use).
import { createRequire } from 'node:module';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { createLogger, decodeConfig, startLatchkey } from '@latchkey/app';
import { paramText } from './lib/sql.mjs';

// Where a `pg` module can come from: the adapter's own dependency, MikroORM's, and knex's (whose
// `Client` the pool instantiates). Each path is a chain of packages, each resolved from the last.
const PG_PATHS = [
  ['@latchkey/adapters-postgres', 'pg'],
  ['@latchkey/adapters-postgres', '@mikro-orm/postgresql', 'pg'],
  ['@latchkey/adapters-postgres', '@mikro-orm/postgresql', '@mikro-orm/knex', 'knex', 'pg'],
];

/** Every distinct `pg` module the PostgreSQL adapter can reach (usually one). */
const pgModules = () => {
  const files = new Set();
  for (const [first, ...rest] of PG_PATHS) {
    try {
      let file = fileURLToPath(import.meta.resolve(first));
      for (const next of rest) file = createRequire(file).resolve(next);
      files.add(file);
    } catch {
      // Not a dependency along this path.
    }
  }
  return [...files].map((file) => createRequire(file)(file));
};

const patched = Symbol('bench capture');

/**
 * Wraps `Client#query` of every `pg` module so that `record(config, values)` sees each call's
 * arguments (`query(text, values?)`, `query({text, values, name})`, or a submittable). When not
 * capturing, the wrapper costs one function call and a test.
 */
const patchPg = (record) => {
  const modules = pgModules();
  if (modules.length === 0) throw new Error('cannot resolve the pg module of @latchkey/adapters-postgres');
  for (const pg of modules) {
    const prototype = pg.Client.prototype;
    if (prototype[patched]) continue;
    const query = prototype.query;
    prototype.query = function captureQuery(...args) {
      record(args[0], args[1]);
      return query.apply(this, args);
    };
    prototype[patched] = true;
  }
};

const send = (message) =>
  new Promise((resolve) => {
    process.send(message, resolve);
  });

const main = async () => {
  const decoded = decodeConfig(process.env);
  if (decoded._tag === 'Left') throw new Error(`invalid configuration: ${decoded.left.join('; ')}`);
  const config = decoded.right;
  const logger = createLogger(config.logLevel);

  let capturing = false;
  let statements = [];
  if (config.storage === 'postgres') {
    patchPg((query, values) => {
      if (!capturing || query === null || query === undefined) return;
      const text = typeof query === 'string' ? query : query.text;
      const bound = Array.isArray(values) ? values : (query.values ?? []);
      const name = typeof query === 'object' && typeof query.name === 'string' ? query.name : undefined;
      statements.push({ text, values: bound.map(paramText), ...(name === undefined ? {} : { name }) });
    });
  }
  const running = await startLatchkey(config, logger);

  process.on('message', (message) => {
    if (message?.type === 'capture') {
      const recorded = statements;
      capturing = message.on === true;
      statements = [];
      void send({ type: 'captured', statements: recorded });
    } else if (message?.type === 'mark') {
      void send({ type: 'marked', micros: Number(process.hrtime.bigint() / 1000n) });
    } else if (message?.type === 'stop') {
      running.stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.on('disconnect', () => {
    void running.stop().finally(() => process.exit(0));
  });
  await send({ type: 'ready', url: running.url, metricsUrl: running.metricsUrl, pid: process.pid });
};

main().catch((error) => {
  process.stderr.write(`latchkey-server: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
