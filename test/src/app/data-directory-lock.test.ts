import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdtemp, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lockDataDirectory, startEmbeddedDatabase } from '@latchkey/app';
import { expect } from 'chai';
import { rejectionOf } from '../contract/fixtures.js';
import { copyInitialisedDataDir } from '../support/postgres.js';
import { freePort } from '../support/server.js';

const APP_DIST = new URL('.', import.meta.resolve('@latchkey/app'));
const SERVER_ENTRY = fileURLToPath(new URL('./main.js', APP_DIST));
const STDIO_ENTRY = fileURLToPath(new URL('./mcp-stdio.js', APP_DIST));

interface Exit {
  readonly code: number | null;
  readonly stderr: string;
  /** Whether it got as far as serving, and was stopped by the test. */
  readonly served: boolean;
}

/** The server entry on `dataDir` with a free port; its stdout and stderr are collected. */
const spawnServer = async (dataDir: string): Promise<ChildProcess> => {
  const port = await freePort();
  return spawn(process.execPath, [SERVER_ENTRY], {
    env: {
      PATH: process.env.PATH ?? '',
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_HTTP_ADDRESS: `127.0.0.1:${port}`,
      LATCHKEY_PUBLIC_URL: `http://127.0.0.1:${port}`,
      LATCHKEY_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
};

/** Resolves once `child` has written `text` to stdout; rejects if it exits first. */
const waitForOutput = (child: ChildProcess, text: string, timeoutMs: number): Promise<void> =>
  new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(new Error(`no "${text}" within ${timeoutMs} ms: ${seen}`));
    }, timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${String(code)}) before writing "${text}": ${seen}`));
    });
  });

/** Waits for `child` to exit by itself; one that starts serving instead is stopped and reported. */
const exitOf = (child: ChildProcess): Promise<Exit> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    let served = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('the process neither exited nor served'));
    }, 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (!served && (stdout.includes('Latchkey listening') || stdout.includes('"jsonrpc"'))) {
        served = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, served });
    });
  });

const pidFileOf = async (dataDir: string): Promise<{ pid: number }> =>
  JSON.parse(await readFile(join(dataDir, 'latchkey.pid'), 'utf8')) as { pid: number };

describe('the embedded database takes its data directory for one process (docs/deployment.md#the-embedded-database)', function () {
  // Starting the embedded database (WebAssembly PostgreSQL) takes seconds, many more on a busy machine.
  this.timeout(120_000);
  let dir: string;
  let dataDir: string;

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'latchkey-lock-')));
    dataDir = join(dir, 'data');
    // initdb takes seconds; a copy of an initialised directory, a fraction of one.
    await copyInitialisedDataDir(dataDir);
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('refuses a second embedded database on a held directory, naming the directory and the holder', async () => {
    const first = await startEmbeddedDatabase({ dataDir });
    let refusal: unknown;
    try {
      refusal = await startEmbeddedDatabase({ dataDir }).then(
        async (second) => {
          await second.stop();
          return undefined;
        },
        (error: unknown) => error,
      );
    } finally {
      await first.stop();
    }
    expect(refusal).to.be.instanceOf(Error);
    expect(refusal).to.include({ name: 'DataDirectoryLockedError', dataDir });
    expect((refusal as { holder: { pid: number } }).holder.pid).to.equal(process.pid);
    expect((refusal as Error).message)
      .to.include(dataDir)
      .and.include(String(process.pid));
    // Stopping gives the directory up.
    const again = await startEmbeddedDatabase({ dataDir });
    await again.stop();
  });

  it('makes the server and the stdio entry refuse to start while another process has the directory', async () => {
    const holder = await startEmbeddedDatabase({ dataDir });
    try {
      const server = await exitOf(await spawnServer(dataDir));
      expect(server.served, 'the second server started').to.equal(false);
      expect(server.code).to.equal(1);
      expect(server.stderr).to.include(dataDir).and.include(`process ${process.pid}`);

      const stdio = await exitOf(
        spawn(
          process.execPath,
          [STDIO_ENTRY, '--token', 'lk_sess_not-a-real-session-token-at-all-000000000'],
          {
            env: { PATH: process.env.PATH ?? '', LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: 'silent' },
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        ),
      );
      expect(stdio.served, 'the stdio entry started').to.equal(false);
      expect(stdio.code).to.equal(1);
      expect(stdio.stderr).to.include(dataDir).and.include(`process ${process.pid}`);
    } finally {
      await holder.stop();
    }
  });

  it('takes the directory over at once from a server killed with SIGKILL', async () => {
    const server = await spawnServer(dataDir);
    try {
      await waitForOutput(server, 'Latchkey listening', 25_000);
      const refusal = await rejectionOf(lockDataDirectory(dataDir));
      expect((refusal as { holder?: { pid: number } }).holder?.pid).to.equal(server.pid);
    } finally {
      server.kill('SIGKILL');
      if (server.exitCode === null && server.signalCode === null) await once(server, 'exit');
    }
    // The killed server's record is still there; it names a process that no longer runs.
    expect((await pidFileOf(dataDir)).pid).to.equal(server.pid);
    const started = Date.now();
    const database = await startEmbeddedDatabase({ dataDir });
    try {
      expect((await pidFileOf(dataDir)).pid).to.equal(process.pid);
    } finally {
      await database.stop();
    }
    // Far below the 10 s after which a lock judged by its age alone would count as abandoned.
    expect(Date.now() - started).to.be.below(5000);
  });

  it('takes over a record naming this process when this process holds no claim (a restarted PID 1)', async () => {
    const first = await lockDataDirectory(dataDir);
    await first.release();
    await writeFile(
      join(dataDir, 'latchkey.pid'),
      `${JSON.stringify({ pid: process.pid, hostname: 'earlier', since: new Date(0).toISOString() })}\n`,
    );
    const lock = await lockDataDirectory(dataDir);
    try {
      expect(await pidFileOf(dataDir)).to.not.include({ hostname: 'earlier' });
    } finally {
      await lock.release();
    }
    // Released: the record is gone.
    expect(await rejectionOf(readFile(join(dataDir, 'latchkey.pid'), 'utf8'))).to.include({ code: 'ENOENT' });
  });

  it('keeps other users out of the directory, new or already there (docs/security.md)', async () => {
    await chmod(dataDir, 0o755);
    const existing = await lockDataDirectory(dataDir);
    try {
      expect((await stat(dataDir)).mode & 0o777).to.equal(0o700);
    } finally {
      await existing.release();
    }
    const fresh = join(dir, 'fresh', 'data');
    const created = await lockDataDirectory(fresh);
    try {
      expect((await stat(fresh)).mode & 0o777).to.equal(0o700);
    } finally {
      await created.release();
    }
  });
});
