// One Latchkey process for the benchmark (bench/run.mjs forks it with an IPC channel).
//
// Configuration comes from the LATCHKEY_* environment the parent sets. With PostgreSQL storage
// the storage is opened exactly as the app does it (`openStorage`: pool of 10, migrations) and
// handed to `startLatchkey` as an override, so that this process can also record the SQL it
// sends: knex's `query` event, switched on only while the parent asks for it (never during a
// measured round).
//
// Messages from the parent: {type: 'capture', on: boolean} → {type: 'captured', statements}
// (the statements recorded since capture was switched on); {type: 'stop'} → stops and exits 0
// (which is also when `--cpu-prof` writes its profile); {type: 'mark'} → {type: 'marked', micros}
// (this process's monotonic clock, which the CPU profile's timestamps also use).
import process from 'node:process';
import { createLogger, decodeConfig, openStorage, startLatchkey } from '@latchkey/app';

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
  const overrides = {};
  if (config.storage === 'postgres') {
    const storage = await openStorage(config, logger);
    const knex = storage.orm.em.getConnection().getKnex();
    knex.on('query', (query) => {
      if (capturing)
        statements.push({ sql: query.sql, bindings: query.bindings ?? [], tx: query.__knexTxId });
    });
    overrides.storage = storage;
  }
  const running = await startLatchkey(config, logger, overrides);

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
  await send({ type: 'ready', url: running.url, pid: process.pid });
};

main().catch((error) => {
  process.stderr.write(`latchkey-server: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
