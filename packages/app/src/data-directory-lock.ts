import { unlinkSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import lockfile from 'proper-lockfile';

/** The process holding a data directory, as the directory's PID file records it. */
export interface DataDirectoryHolder {
  readonly pid: number;
  readonly hostname: string;
  /** When it took the directory (ISO 8601). */
  readonly since: string;
}

const Holder: t.Type<DataDirectoryHolder> = t.readonly(
  t.type({ pid: t.number, hostname: t.string, since: t.string }),
);

export class DataDirectoryLockedError extends Error {
  override readonly name = 'DataDirectoryLockedError';
  constructor(
    readonly dataDir: string,
    readonly holder: DataDirectoryHolder,
  ) {
    super(
      `the data directory ${dataDir} is in use by process ${holder.pid} on ${holder.hostname} ` +
        `(since ${holder.since}); stop that process first, or set LATCHKEY_DATA_DIR to another directory`,
    );
  }
}

export interface DataDirectoryLock {
  /** The directory, resolved to its real path. */
  readonly dataDir: string;
  /** Gives the directory up. Idempotent. */
  release(): Promise<void>;
}

/** Names the holder, like PostgreSQL's `postmaster.pid`; PGlite ignores files it does not know. */
export const PID_FILE = 'latchkey.pid';
/**
 * Held only while the PID file is read and written: two processes that both find a dead holder
 * cannot both take its directory. proper-lockfile takes it over when its holder died (stale
 * after `CLAIM_STALE_MS`), and the retries wait that long.
 */
const CLAIM_LOCK = 'latchkey.pid.lock';
const CLAIM_STALE_MS = 2000;
const CLAIM_RETRIES = { retries: 15, factor: 2, minTimeout: 25, maxTimeout: 250 };

/** Directories this process holds (real paths): a second claim from the same process is refused too. */
const held = new Set<string>();

/** `kill(pid, 0)`: ESRCH means no such process; EPERM means one exists that we may not signal. */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The recorded holder; `undefined` when there is no PID file or it cannot be read as one. */
const parseHolder = (text: string): DataDirectoryHolder | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const decoded = Holder.decode(json);
  return E.isRight(decoded) && Number.isSafeInteger(decoded.right.pid) && decoded.right.pid > 0
    ? decoded.right
    : undefined;
};

const readHolder = async (pidFile: string): Promise<DataDirectoryHolder | undefined> => {
  try {
    return parseHolder(await readFile(pidFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * Whether the recorded holder still runs. A PID file naming this process, which holds no claim
 * on the directory, is left from an earlier process that had our PID (a container restarted with
 * the same PID 1). Another host cannot be asked, so only the PID counts: the embedded database is
 * for one machine's local disk.
 */
const stillRunning = (holder: DataDirectoryHolder): boolean =>
  holder.pid !== process.pid && isRunning(holder.pid);

/** Runs `work` while holding the claim lock of `dataDir`. */
const withClaim = async <A>(dataDir: string, work: () => Promise<A>): Promise<A> => {
  let compromised: Error | undefined;
  const release = await lockfile.lock(dataDir, {
    lockfilePath: join(dataDir, CLAIM_LOCK),
    realpath: false,
    stale: CLAIM_STALE_MS,
    retries: CLAIM_RETRIES,
    onCompromised: (error) => {
      compromised = error;
    },
  });
  let result: A;
  try {
    result = await work();
  } finally {
    if (compromised === undefined) await release();
  }
  if (compromised !== undefined)
    throw new Error(`lost the lock on the data directory ${dataDir}: ${compromised.message}`);
  return result;
};

let exitHookInstalled = false;
/** On exit, removes the PID files of directories still held, so that a clean exit leaves none. */
const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dataDir of held) {
      const pidFile = join(dataDir, PID_FILE);
      try {
        if (parseHolder(readFileSync(pidFile, 'utf8'))?.pid === process.pid) unlinkSync(pidFile);
      } catch {
        // Nothing to clean up, or nothing we can do while exiting; the next process checks the PID.
      }
    }
  });
};

/**
 * Takes `dataDir` (created if missing, and made accessible to its owner only) for this process alone, or rejects with a
 * `DataDirectoryLockedError` naming the process that has it. The holder is recorded in a PID
 * file; a holder that no longer runs (killed, crashed) is taken over at once. Every process that
 * opens the embedded database's files must hold this lock.
 */
export const lockDataDirectory = async (dataDir: string): Promise<DataDirectoryLock> => {
  await mkdir(resolve(dataDir), { recursive: true, mode: 0o700 });
  const dir = await realpath(resolve(dataDir));
  // The database's files are written readable and writable by everyone (the WebAssembly file
  // system ignores the umask), so the directory alone keeps other users out: owner only
  // (docs/security.md).
  await chmod(dir, 0o700);
  const pidFile = join(dir, PID_FILE);
  await withClaim(dir, async () => {
    const holder = await readHolder(pidFile);
    const mine: DataDirectoryHolder = {
      pid: process.pid,
      hostname: hostname(),
      since: new Date().toISOString(),
    };
    if (held.has(dir)) throw new DataDirectoryLockedError(dir, holder ?? mine);
    if (holder !== undefined && stillRunning(holder)) throw new DataDirectoryLockedError(dir, holder);
    await writeFile(pidFile, `${JSON.stringify(mine)}\n`);
    held.add(dir);
  });
  installExitHook();

  let released = false;
  return {
    dataDir: dir,
    release: async () => {
      if (released) return;
      released = true;
      await withClaim(dir, async () => {
        held.delete(dir);
        if ((await readHolder(pidFile))?.pid === process.pid) await rm(pidFile, { force: true });
      });
    },
  };
};
