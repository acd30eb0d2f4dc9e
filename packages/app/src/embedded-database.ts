import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DEFAULT_EMBEDDED_SHARED_BUFFERS_MB } from './config.js';
import { lockDataDirectory } from './data-directory-lock.js';

export interface EmbeddedDatabaseOptions {
  /** Where PGlite keeps its files; created if missing, initialised on first use. */
  readonly dataDir: string;
  /** Interface to listen on; loopback unless told otherwise, since there is no authentication. */
  readonly host?: string;
  /** TCP port; 0 (the default) lets the system pick a free one. */
  readonly port?: number;
  /**
   * PostgreSQL's buffer cache (`shared_buffers`) in MiB (`LATCHKEY_EMBEDDED_SHARED_BUFFERS`,
   * default 16). PGlite starts with 128 MiB of WebAssembly memory that holds all of PostgreSQL,
   * its shared memory included; with initdb's 128 MB of `shared_buffers` that memory has to grow
   * to about 190 MiB at start and most of it becomes resident, while 16 MiB keeps the database
   * within the initial memory, of which only the pages PostgreSQL touches are resident. Pages not
   * in the buffer cache come from the operating system's file cache (docs/deployment.md#memory).
   */
  readonly sharedBuffersMb?: number;
  /**
   * Let V8 recompile PGlite's hot WebAssembly functions with its optimising compiler
   * (`LATCHKEY_EMBEDDED_WASM_TIER_UP`, default false). Off, V8 runs its baseline compiler's code
   * only: compiling PostgreSQL's large functions again takes tens of MiB of compiler memory that
   * the C allocator keeps for the life of the process, and the measured token path was no slower
   * without it. A setting of the whole process, applied before the database's code is compiled.
   */
  readonly wasmTierUp?: boolean;
}

/**
 * How far V8 lets the old generation grow past what the last full collection kept, in percent,
 * with the embedded database. Requests wait their turn at the database's one connection, so more
 * of their objects live through the young generation's collections and are promoted; V8's own
 * choice on a machine with gigabytes of memory (up to 4 times the live heap of some 40 MiB) then
 * holds about 120 MiB of such garbage resident after 10,000 requests, 50% about 20 MiB (measured
 * in docs/deployment.md#memory, at no measurable CPU cost). A `--heap-growing-percent` given to
 * node is left alone.
 */
const HEAP_GROWING_PERCENT = 50;

/** Whether node was started with `--name` (or `--name=…`), on its command line or in NODE_OPTIONS. */
const nodeFlagGiven = (name: string): boolean =>
  [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) => {
    const normalised = flag.replaceAll('_', '-');
    return normalised === `--${name}` || normalised.startsWith(`--${name}=`);
  });

/** PGlite's start parameters with ours added (`-c` overrides `postgresql.conf`). */
const startParams = (sharedBuffersMb: number): string[] => [
  ...PGlite.defaultStartParams,
  '-c',
  `shared_buffers=${sharedBuffersMb}MB`,
];

/** The script that initialises a data directory in a process of its own. */
const INITDB_SCRIPT = fileURLToPath(new URL('./embedded-database-initdb.js', import.meta.url));

/**
 * Runs PGlite's initdb on `dataDir` in a child process. initdb runs a second PostgreSQL beside
 * the first, copies its whole memory and packs the result into an archive; done in this process,
 * that leaves several hundred MiB resident (freed memory the allocator keeps) for the life of the
 * server, while a child gives all of it back when it exits.
 */
const initialiseInChild = (dataDir: string, sharedBuffersMb: number): Promise<void> =>
  new Promise((resolve, reject) => {
    // No inherited flags (an inspector port, a CPU profile) and nothing on stdout, which is the
    // protocol channel of the stdio MCP entry.
    const child = fork(INITDB_SCRIPT, [dataDir, String(sharedBuffersMb)], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      if (stderr.length < 4096) stderr += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `initialising the embedded database in ${dataDir} failed (${signal ?? `exit ${String(code)}`})` +
              (stderr.trim() === '' ? '' : `: ${stderr.trim()}`),
          ),
        );
    });
  });

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
 * The first start in an empty directory runs initdb, in a child process, and takes seconds; later
 * starts only open the files. Rejects with a `DataDirectoryLockedError` while another process has `dataDir`.
 */
export const startEmbeddedDatabase = async (options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> => {
  // PGlite does not lock its files: a second process opening them loses acknowledged writes.
  // This rejects, naming the holder, while another process has the directory.
  const lock = await lockDataDirectory(options.dataDir);
  const sharedBuffersMb = options.sharedBuffersMb ?? DEFAULT_EMBEDDED_SHARED_BUFFERS_MB;
  setFlagsFromString(options.wasmTierUp === true ? '--no-liftoff-only' : '--liftoff-only');
  if (!nodeFlagGiven('heap-growing-percent'))
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  let db: PGlite;
  try {
    // PGlite runs initdb when the directory has no PG_VERSION; this runs it first, elsewhere.
    if (!existsSync(join(lock.dataDir, 'PG_VERSION'))) await initialiseInChild(lock.dataDir, sharedBuffersMb);
    db = await PGlite.create(lock.dataDir, { startParams: startParams(sharedBuffersMb) });
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
