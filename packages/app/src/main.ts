import * as E from 'fp-ts/lib/Either.js';
import { decodeConfig } from './config.js';
import { createLogger } from './logger.js';
import { needsSetup, startLatchkey } from './server.js';

/** How long a stop may take in all before the process exits with status 1. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * `pnpm start`: decode the configuration, migrate, listen, and stop gracefully on SIGTERM/SIGINT.
 */
const main = async (): Promise<void> => {
  const decoded = decodeConfig(process.env);
  if (E.isLeft(decoded)) {
    for (const problem of decoded.left) process.stderr.write(`latchkey: invalid configuration: ${problem}\n`);
    process.exitCode = 78; // EX_CONFIG
    return;
  }
  const config = decoded.right;
  const logger = createLogger(config.logLevel);
  const running = await startLatchkey(config, logger);
  logger.info(
    { url: running.url, issuer: config.issuer, storage: config.storage },
    `Latchkey listening on ${running.url}`,
  );
  if (running.metricsUrl !== undefined)
    logger.info({ url: `${running.metricsUrl}/metrics` }, `metrics at ${running.metricsUrl}/metrics`);
  if (await needsSetup(running.useCases)) {
    logger.info(`No users yet: open ${config.issuer}/setup to create the owner account.`);
  }
  /** Logging must not stand in the way of stopping: stdout may be a pipe whose reader is gone. */
  const note = (write: () => void): void => {
    try {
      write();
    } catch {
      // Nothing to report it to.
    }
  };
  const shutdown = (signal: string): void => {
    // The last fence: whatever hangs (a log destination that blocks, a connection that will not
    // close), the process is gone 5 s after the 10 s given to the requests under way
    // (docs/deployment.md#the-production-command).
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    note(() => {
      logger.info({ signal }, 'shutting down');
    });
    running.stop().then(
      () => {
        note(() => {
          logger.info('stopped');
        });
        process.exit(0);
      },
      (error: unknown) => {
        note(() => {
          logger.error({ err: error }, 'shutdown failed');
        });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => {
    shutdown('SIGTERM');
  });
  process.once('SIGINT', () => {
    shutdown('SIGINT');
  });
};

main().catch((error: unknown) => {
  process.stderr.write(
    `latchkey: failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
