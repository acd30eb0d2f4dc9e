import { StorageUnavailableError } from '@latchkey/domain';

/** Socket-level failures: the database is down, restarting or unreachable. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that mean "the server is going away", not "your statement is wrong":
 * admin_shutdown, crash_shutdown, cannot_connect_now. Class 08 (connection exception) is matched
 * by prefix.
 */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03']);

/**
 * Messages of errors that carry no code. The first two are node-postgres on a dropped
 * connection, the third the knex pool. The last is knex on a transaction whose BEGIN failed: it
 * hands the transaction over anyway and reports only that on its first statement. This adapter
 * never runs statements on a finished transaction (MikroORM detaches a committed one from its
 * EntityManager, and savepoints are plain SQL), so here it means the connection died under it.
 */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Timeout acquiring a connection',
  'Transaction query already complete',
];

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

const isConnectionLevel = (error: ErrorLike): boolean => {
  const { code, name, message } = error;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SHUTDOWN_STATES.has(code)) return true;
    if (code.length === 5 && code.startsWith('08')) return true;
  }
  if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m));
};

/**
 * Whether `error` means the database cannot be reached, looking through the wrappers that
 * MikroORM (`DriverException`), node (`AggregateError` of a multi-address connect) and `cause`
 * chains put around the original failure.
 */
export const isConnectionFailure = (error: unknown, depth = 0): boolean => {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  const candidate = error as ErrorLike;
  if (isConnectionLevel(candidate)) return true;
  if (Array.isArray(candidate.errors) && candidate.errors.some((e) => isConnectionFailure(e, depth + 1)))
    return true;
  return isConnectionFailure(candidate.cause, depth + 1);
};

/**
 * The error a port rethrows: connection-level failures become the domain's
 * `StorageUnavailableError` (a 503, CONTRACT §2), everything else is left as it is (a 500).
 */
export const toStorageError = (error: unknown): unknown =>
  error instanceof StorageUnavailableError || !isConnectionFailure(error)
    ? error
    : new StorageUnavailableError({ cause: error });

/** Runs one port call, classifying whatever it throws. */
export const guarded = async <A>(call: () => Promise<A>): Promise<A> => {
  try {
    return await call();
  } catch (error) {
    throw toStorageError(error);
  }
};

/** The PostgreSQL error fields this adapter reads; MikroORM copies them onto its exceptions. */
interface PostgresErrorFields {
  readonly code?: unknown;
  readonly constraint?: unknown;
}

/** The constraint a unique violation (23505) names, or `undefined` for any other error. */
export const violatedUniqueConstraint = (error: unknown): string | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, constraint } = error as PostgresErrorFields;
  return code === '23505' && typeof constraint === 'string' ? constraint : undefined;
};
