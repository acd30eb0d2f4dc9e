import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { lockDataDirectory } from './data-directory-lock.js';

export interface EmbeddedDatabaseOptions {
  /** Where PGlite keeps its files; created if missing, initialised on first use. */
  readonly dataDir: string;
  /** Interface to listen on; loopback unless told otherwise, since there is no authentication. */
  readonly host?: string;
  /** TCP port; 0 (the default) lets the system pick a free one. */
  readonly port?: number;
}

export interface EmbeddedDatabase {
  /**
   * `postgres://` URL for MikroORM. The socket server serves one connection at a time, so the
   * pool using it must have `max: 1` (docs/http-api.md#configuration).
   */
  readonly url: string;
  readonly port: number;
  /** Closes the socket server and the database, and gives up the data directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Closes the socket server but keeps the database open: clients see the database go away
   * (open connections are dropped, an open transaction is rolled back, new connections are
   * refused). For testing outage handling.
   */
  pause(): Promise<void>;
  /** Listens again on the same port, so clients holding `url` reconnect without changes. */
  resume(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

/** The port the socket server ended up on; it reports `host:port`, host possibly IPv6. */
const listeningPort = (server: PGLiteSocketServer): number => {
  const conn = server.getServerConn();
  const port = Number(conn.slice(conn.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0)
    throw new Error(`the embedded database did not report a port: ${conn}`);
  return port;
};

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/**
 * The default database when `LATCHKEY_DATABASE_URL` is unset: PostgreSQL compiled to WASM
 * (PGlite) in `dataDir`, exposed over the PostgreSQL wire protocol by `@electric-sql/pglite-socket`
 * so that the same MikroORM adapter serves both (docs/http-api.md#configuration).
 *
 * The first start in an empty directory runs initdb and takes seconds; later starts only open
 * the files. Rejects with a `DataDirectoryLockedError` while another process has `dataDir`.
 */
export const startEmbeddedDatabase = async (options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> => {
  // PGlite does not lock its files: a second process opening them loses acknowledged writes.
  // This rejects, naming the holder, while another process has the directory.
  const lock = await lockDataDirectory(options.dataDir);
  let db: PGlite;
  try {
    db = await PGlite.create(lock.dataDir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const host = options.host ?? LOOPBACK;

  const listen = async (port: number): Promise<PGLiteSocketServer> => {
    // A fresh server each time: a stopped one keeps its query queue, whose state after a
    // dropped connection is not worth reasoning about.
    const server = new PGLiteSocketServer({ db, host, port });
    await server.start();
    return server;
  };

  let server: PGLiteSocketServer | undefined;
  try {
    server = await listen(options.port ?? 0);
  } catch (error) {
    await db.close();
    await lock.release();
    throw error;
  }
  const port = listeningPort(server);
  let stopped = false;

  // One lifecycle change at a time: a `stop` on shutdown may race a test's `resume`.
  let lifecycle: Promise<void> = Promise.resolve();
  const serially = (change: () => Promise<void>): Promise<void> => {
    const next = lifecycle.then(change);
    lifecycle = next.catch(() => undefined);
    return next;
  };

  const closeServer = async (): Promise<void> => {
    const running = server;
    server = undefined;
    await running?.stop();
  };

  return {
    url: `postgres://postgres@${urlHost(host)}:${port}/postgres`,
    port,
    pause: () => serially(closeServer),
    resume: () =>
      serially(async () => {
        if (stopped) throw new Error('the embedded database was stopped');
        server ??= await listen(port);
      }),
    stop: () =>
      serially(async () => {
        if (stopped) return;
        stopped = true;
        await closeServer();
        await db.close();
        await lock.release();
      }),
  };
};
