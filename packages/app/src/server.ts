import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { buildContainer, TOKENS, type HttpApp, type Overrides, type Storage } from './container.js';
import type { KeyRing } from './keys/key-ring.js';
import { startMaintenance } from './maintenance.js';
import { serveMetrics, type Metrics, type MetricsEndpoint } from './metrics.js';

export interface RunningLatchkey {
  readonly server: Server;
  /** Where the server listens (its socket address, which may differ from the issuer). */
  readonly url: string;
  /** Where `/metrics` is served (`LATCHKEY_METRICS_ADDRESS`), when it is. */
  readonly metricsUrl?: string | undefined;
  readonly storage: Storage;
  readonly useCases: UseCases;
  /** The signing keys (docs/openid-connect.md#signing-keys): what `latchkey keys` manages. */
  readonly keyRing: KeyRing;
  /**
   * Stops accepting connections, answers the requests under way with `Connection: close`, and
   * closes the database once the last one is answered (connections still busy after 10 s are cut).
   */
  stop(): Promise<void>;
}

/** How long a graceful stop waits for in-flight requests before cutting connections. */
const DRAIN_TIMEOUT_MS = 10_000;

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
  // docs/openid-connect.md#signing-keys: the first key of each algorithm, unless another instance
  // made it; a secret that does not open the stored keys stops start-up here.
  const keyRing = await container.getAsync<KeyRing>(TOKENS.KeyRing);
  try {
    await keyRing.ensure();
  } catch (error) {
    await storage.close();
    throw error;
  }
  const app = await container.getAsync<HttpApp>(TOKENS.HttpApp);
  const useCases = await container.getAsync<UseCases>(TOKENS.UseCases);
  const metrics = container.isBound(TOKENS.Metrics) ? container.get<Metrics>(TOKENS.Metrics) : undefined;
  // A storage shared with other servers (tests) is measured only while this one runs.
  const unwatchDatabase =
    metrics !== undefined && storage.sql !== undefined ? metrics.watchDatabase(storage.sql) : undefined;

  const handle = app.callback();
  /** Responses whose handler is still running (or whose streamed body is still being written). */
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let drained: (() => void) | undefined;
  const done = (res: ServerResponse): void => {
    inFlight.delete(res);
    if (!draining) return;
    // A response that went out as keep-alive before the stop began leaves its connection idle:
    // end it, unless a pipelined request on it still waits for its answer.
    const socket = res.req.socket;
    if (
      res.getHeader('Connection') !== 'close' &&
      !socket.destroyed &&
      ![...inFlight].some((other) => other.req.socket === socket)
    )
      socket.end();
    if (inFlight.size === 0) drained?.();
  };
  const settled = (res: ServerResponse) => (): void => {
    // Koa has ended the response by now, unless it pipes a stream into it.
    if (res.writableEnded || res.destroyed) done(res);
    else
      res.once('close', () => {
        done(res);
      });
  };
  const server = createServer((req, res) => {
    // RFC 9112 §9.6: while draining, every response closes its connection, so a keep-alive
    // client sends its next request elsewhere instead of here.
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    const after = settled(res);
    handle(req, res).then(after, after);
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

  let metricsEndpoint: MetricsEndpoint | undefined;
  if (metrics !== undefined && config.metricsAddress !== undefined) {
    try {
      metricsEndpoint = await serveMetrics(
        metrics.registry,
        config.metricsAddress.host,
        config.metricsAddress.port,
      );
    } catch (error) {
      server.close();
      unwatchDatabase?.();
      await storage.close();
      throw error;
    }
  }

  const maintenance = startMaintenance(
    { useCases, storage, logger, grantRetentionSeconds: config.dcrIdleTtlSeconds, keyRing },
    overrides.maintenanceTickMs,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      maintenance.stop();
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const answered = new Promise<void>((resolve) => {
        drained = resolve;
        if (inFlight.size === 0) resolve();
      });
      // Stops listening and closes the idle keep-alive connections; resolves once none is left.
      const closed = new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      server.closeIdleConnections();
      let force: NodeJS.Timeout | undefined;
      const cut = new Promise<void>((resolve) => {
        force = setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, DRAIN_TIMEOUT_MS);
      });
      // The database stays open until the last handler is done with it and its answer is out.
      await Promise.race([Promise.all([answered, closed]), cut]);
      clearTimeout(force);
      // Scrapes go on while requests drain, and end before the database closes.
      await metricsEndpoint?.close();
      unwatchDatabase?.();
      await storage.close();
    })();
    return stopping;
  };

  return {
    server,
    url: `http://${host}:${address.port}`,
    metricsUrl: metricsEndpoint?.url,
    storage,
    useCases,
    keyRing,
    stop,
  };
};

/** Whether the owner still has to be created; logged at start-up. */
export const needsSetup = async (useCases: UseCases): Promise<boolean> => {
  const result = await useCases.needsSetup()();
  return E.isRight(result) && result.right;
};
