import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.js';

/** Where Debian's package puts the binary; else whatever `pgbouncer` the PATH finds. */
const BINARIES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'];

const binary = (): string | undefined => {
  const found = BINARIES.find((path) => existsSync(path));
  if (found !== undefined) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};

export interface PgBouncer {
  /** `serverDatabaseUrl` (a database on the PostgreSQL server) as reached through PgBouncer. */
  urlOf(serverDatabaseUrl: string): string;
  /** Its log so far, for assertion messages. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** Server connections per database and user: fewer than the clients', so that they share them. */
  readonly serverConnections?: number;
}

/**
 * PgBouncer in transaction pooling mode in front of the PostgreSQL server of `serverUrl`, on a
 * free loopback port, with its ini, user list, log and pid file in a temporary directory.
 * Without the binary the suite is skipped on a developer's machine, and fails where
 * `LATCHKEY_TEST_REQUIRE_SERVER=1` says it must run (CI installs Debian's package).
 *
 * PgBouncer refuses to run as root: as root (CI), it runs as the `postgres` user.
 */
export const startPgBouncer = async (
  serverUrl: string,
  skip: () => void,
  options: PgBouncerOptions = {},
): Promise<PgBouncer> => {
  const executable = binary();
  if (executable === undefined) {
    if (process.env.LATCHKEY_TEST_REQUIRE_SERVER === '1')
      throw new Error('pgbouncer is not installed, and this run requires it (apt-get install pgbouncer)');
    skip();
    throw new Error('skipped');
  }
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-pgbouncer-'));
  const asRoot = process.getuid?.() === 0;
  const account = asRoot ? postgresAccount() : undefined;
  const ini = `[databases]
* = host=${server.hostname} port=${server.port || '5432'}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = trust
auth_file = ${join(dir, 'userlist.txt')}
pool_mode = transaction
default_pool_size = ${options.serverConnections ?? 3}
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = ${join(dir, 'pgbouncer.log')}
pidfile = ${join(dir, 'pgbouncer.pid')}
`;
  await writeFile(join(dir, 'pgbouncer.ini'), ini);
  await writeFile(join(dir, 'userlist.txt'), `"${user}" ""\n`);
  if (account !== undefined)
    for (const path of [dir, join(dir, 'pgbouncer.ini'), join(dir, 'userlist.txt')])
      await chown(path, account.uid, account.gid);

  const child: ChildProcess = spawn(executable, [join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(account === undefined ? {} : { uid: account.uid, gid: account.gid }),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
  const readLog = async (): Promise<string> =>
    (await readFile(join(dir, 'pgbouncer.log'), 'utf8').catch(() => '')) + stderr;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Ready once it answers a query on the server's maintenance database through the pool.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user,
      database: server.pathname.slice(1) || 'postgres',
    });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (child.exitCode !== null || Date.now() > deadline) {
        const log = await readLog();
        await stop();
        throw new Error(`pgbouncer did not start\n${log}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  return {
    urlOf: (serverDatabaseUrl) => {
      const url = new URL(serverDatabaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    log: readLog,
    stop,
  };
};

const postgresAccount = (): { uid: number; gid: number } => {
  try {
    return {
      uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
      gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
    };
  } catch {
    throw new Error('pgbouncer refuses to run as root, and there is no postgres user to run it as');
  }
};
