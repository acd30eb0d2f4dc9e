import { userInfo } from 'node:os';
import type { ApiError, RequestMeta, UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { Logger } from 'pino';
import { decodeConfig, type Config, type Env } from '../config.js';
import { buildContainer, TOKENS, type Storage } from '../container.js';
import { DataDirectoryLockedError } from '../data-directory-lock.js';
import type { KeyRing } from '../keys/key-ring.js';
import { createLogger, redactSecretText } from '../logger.js';
import { EXIT } from './exit-codes.js';
import { apiFailure, CliFailure } from './failure.js';
import type { Streams } from './output.js';

/** What a command runs on: the configured storage, opened as the server opens it, and the use cases over it. */
export interface CliSession {
  readonly config: Config;
  readonly storage: Storage;
  readonly useCases: UseCases;
  /** The signing keys (docs/cli.md#keys). */
  readonly keyRing: KeyRing;
  /** How the CLI's changes are audited (docs/cli.md#authorisation-and-audit). */
  readonly meta: RequestMeta;
  /** Runs a use case: its `Right`, or the `CliFailure` its `Left` maps to (the cause of a failure logged). */
  readonly run: <A>(task: TaskEither<ApiError, A>) => Promise<A>;
}

/** The CLI's request description in the audit log: no address, and the operating-system user. */
const cliMeta = (): RequestMeta => {
  let osUser = '';
  try {
    osUser = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the entry still says it came from the CLI.
  }
  return { ip: '', userAgent: osUser === '' ? 'latchkey cli' : `latchkey cli (${osUser})` };
};

/** An error's message with credentials taken out: the database URL's password, and anything token-like. */
const safeMessage = (error: unknown, config: Config): string => {
  const message = error instanceof Error ? error.message : String(error);
  let password = '';
  try {
    password =
      config.databaseUrl === undefined ? '' : decodeURIComponent(new URL(config.databaseUrl).password);
  } catch {
    // Not a URL the WHATWG parser reads; the configuration decoder accepted it as postgres://.
  }
  return redactSecretText(password === '' ? message : message.split(password).join('[redacted]'));
};

/**
 * The configuration from `LATCHKEY_*`, as the server decodes it. The CLI refuses the in-memory
 * storage: each run would start empty and its changes die with it.
 */
const cliConfig = (env: Env): Config => {
  const decoded = decodeConfig(env);
  if (E.isLeft(decoded))
    throw new CliFailure(EXIT.configuration, {
      kind: 'configuration',
      message: `invalid configuration: ${decoded.left.join('; ')}`,
      problems: decoded.left,
    });
  if (decoded.right.storage === 'memory')
    throw new CliFailure(EXIT.configuration, {
      kind: 'configuration',
      message: 'LATCHKEY_STORAGE=memory keeps nothing between runs; the CLI needs the PostgreSQL storage',
    });
  return decoded.right;
};

/**
 * The CLI logs only warnings and worse on stderr unless `LATCHKEY_LOG_LEVEL` asks for more: its
 * stdout is the command's result, and the server's informational lines would be noise here.
 */
const cliLogger = (env: Env, config: Config, streams: Streams): Logger =>
  createLogger((env.LATCHKEY_LOG_LEVEL ?? '').trim() === '' ? 'warn' : config.logLevel, {
    write: (line: string) => streams.stderr.write(line),
  });

/**
 * Opens the configured storage through the server's own composition (`buildContainer`, without
 * listening): the same settings, the same migrations, and with the embedded database the same
 * data directory lock, so that a running server and the CLI never open one directory together.
 */
const openSession = async (env: Env, streams: Streams): Promise<CliSession> => {
  const config = cliConfig(env);
  const logger = cliLogger(env, config, streams);
  const container = buildContainer(config, logger);
  let storage: Storage;
  try {
    storage = await container.getAsync<Storage>(TOKENS.Storage);
  } catch (error) {
    if (error instanceof DataDirectoryLockedError)
      throw new CliFailure(EXIT.dataDirectoryInUse, {
        kind: 'data_directory_in_use',
        message: error.message,
        data_dir: error.dataDir,
        holder: { pid: error.holder.pid, hostname: error.holder.hostname, since: error.holder.since },
      });
    logger.debug({ err: error }, 'opening the storage failed');
    throw new CliFailure(EXIT.failure, {
      kind: 'unavailable',
      message: `could not open the database: ${safeMessage(error, config)}`,
    });
  }
  try {
    const useCases = await container.getAsync<UseCases>(TOKENS.UseCases);
    const keyRing = await container.getAsync<KeyRing>(TOKENS.KeyRing);
    const run = async <A>(task: TaskEither<ApiError, A>): Promise<A> => {
      const result = await task();
      if (E.isRight(result)) return result.right;
      if (result.left.cause !== undefined) logger.error({ err: result.left.cause }, result.left.message);
      throw apiFailure(result.left);
    };
    return { config, storage, useCases, keyRing, meta: cliMeta(), run };
  } catch (error) {
    await storage.close();
    throw error;
  }
};

/**
 * Runs `work` on a session and closes it (releasing the data directory) whatever happens. A
 * `CliFailure` is the command's answer; anything else thrown is unexpected: logged without its
 * values, and exit status 1.
 */
export const withSession = async (
  env: Env,
  streams: Streams,
  work: (session: CliSession) => Promise<void>,
): Promise<void> => {
  const session = await openSession(env, streams);
  try {
    await work(session);
  } catch (error) {
    if (error instanceof CliFailure) throw error;
    throw new CliFailure(EXIT.failure, {
      kind: 'internal',
      message: `the command failed: ${safeMessage(error, session.config)}`,
    });
  } finally {
    await session.storage.close();
  }
};
