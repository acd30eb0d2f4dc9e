import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildContainer, TOKENS, type HttpApp, type Overrides, type Storage } from './container.js';

export interface RunningLatchkey {
  readonly server: Server;
  /** Where the server listens (its socket address, which may differ from the issuer). */
  readonly url: string;
  readonly storage: Storage;
  readonly useCases: UseCases;
  /** Stops accepting, lets in-flight requests finish, then closes the database. */
  stop(): Promise<void>;
}

/** How often expired sessions and tokens are deleted. */
const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
/** How long a graceful stop waits for in-flight requests before cutting connections. */
const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Deletes expired sessions, access tokens, codes, refresh tokens, consent requests and grants.
 * One statement each, outside any transaction, one after another: with the embedded database's
 * single connection the requests in between still get their turn.
 *
 * A grant is kept for `grantRetentionSeconds` after it expires (`LATCHKEY_DCR_IDLE_TTL`): the
 * purge of idle registrations measures a client's idle time from the end of its last grant
 * (CONTRACT §7), so that end must still be on record. Its codes and tokens expire before it and
 * go on their own schedule.
 */
export const deleteExpired = async (
  storage: Storage,
  now = new Date(),
  grantRetentionSeconds = 0,
): Promise<number> => {
  let count = 0;
  count += await storage.pendingAuthorizations.deleteExpired(now);
  count += await storage.codes.deleteExpired(now);
  count += await storage.refreshTokens.deleteExpired(now);
  count += await storage.apiKeys.deleteExpired(now);
  count += await storage.grants.deleteExpired(new Date(now.getTime() - grantRetentionSeconds * 1000));
  return count;
};

/**
 * Builds the container, opens storage (running migrations) and listens. Used by `main` and by
 * the test suites, so that tests exercise the real composition.
 */
export const startLatchkey = async (
  config: Config,
  logger: Logger,
  overrides: Overrides = {},
): Promise<RunningLatchkey> => {
  const container = buildContainer(config, logger, overrides);
  const storage = await container.getAsync<Storage>(TOKENS.Storage);
  const app = await container.getAsync<HttpApp>(TOKENS.HttpApp);
  const useCases = await container.getAsync<UseCases>(TOKENS.UseCases);

  const handle = app.callback();
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.httpPort, config.httpHost, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const cleanup = setInterval(() => {
    void useCases.abandonedClients.purgeNow()();
    deleteExpired(storage, new Date(), config.dcrIdleTtlSeconds).then(
      (count) => {
        if (count > 0) logger.info({ count }, 'deleted expired credentials');
      },
      (error: unknown) => {
        logger.warn({ err: error }, 'cleanup of expired credentials failed');
      },
    );
  }, CLEANUP_INTERVAL_MS);
  cleanup.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(cleanup);
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      const force = setTimeout(() => {
        server.closeAllConnections();
      }, DRAIN_TIMEOUT_MS);
      await closed;
      clearTimeout(force);
      await storage.close();
    })();
    return stopping;
  };

  return { server, url: `http://${host}:${address.port}`, storage, useCases, stop };
};

/** Whether the owner still has to be created; logged at start-up. */
export const needsSetup = async (useCases: UseCases): Promise<boolean> => {
  const result = await useCases.needsSetup()();
  return E.isRight(result) && result.right;
};
