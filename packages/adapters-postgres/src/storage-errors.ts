import { StorageError, StorageUnavailableError, type StorageErrorFacts } from '@latchkey/domain';

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
 * SQLSTATEs that mean "the database cannot serve us now", not "your statement is wrong":
 * admin_shutdown, crash_shutdown, cannot_connect_now; insufficient_resources, disk_full,
 * out_of_memory, too_many_connections; and what a new connection meets when the database was
 * renamed or dropped (invalid_catalog_name), refuses connections (`ALLOW_CONNECTIONS false`:
 * object_not_in_prerequisite_state), or refuses our role (invalid_authorization_specification,
 * invalid_password). Each of these ends when an operator acts, so a request meets 503, not 500.
 * Class 08 (connection exception) is matched by prefix, except 08P01.
 */
const SHUTDOWN_STATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53000',
  '53100',
  '53200',
  '53300',
  '3D000',
  '55000',
  '28000',
  '28P01',
]);

/**
 * protocol_violation: the server refused a message it could not read, such as statement text
 * holding U+0000 (a parameter holding it is refused as 22021, character_not_in_repertoire). The
 * connection stays usable, so it is a fault of the statement, not an outage.
 */
const PROTOCOL_VIOLATION = '08P01';

/**
 * Messages of errors that carry no code, with the condition each stands for. The first two are
 * node-postgres on a dropped connection, the third the knex pool the gateway takes its
 * connections from.
 */
const CONNECTION_MESSAGES: readonly (readonly [string, string])[] = [
  ['Connection terminated', 'connection_terminated'],
  ['Client has encountered a connection error and is not queryable', 'connection_error'],
  ['Timeout acquiring a connection', 'pool_timeout'],
];

/** PostgreSQL's names for the SQLSTATEs this adapter meets (Appendix A of its manual). */
const CONDITIONS: Readonly<Record<string, string>> = {
  '08P01': 'protocol_violation',
  '22001': 'string_data_right_truncation',
  '22021': 'character_not_in_repertoire',
  '22P02': 'invalid_text_representation',
  '22P05': 'untranslatable_character',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23505': 'unique_violation',
  '23514': 'check_violation',
  '40001': 'serialization_failure',
  '40P01': 'deadlock_detected',
  '53300': 'too_many_connections',
  '54000': 'program_limit_exceeded',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '28000': 'invalid_authorization_specification',
  '28P01': 'invalid_password',
  '3D000': 'invalid_catalog_name',
  '53000': 'insufficient_resources',
  '53100': 'disk_full',
  '53200': 'out_of_memory',
  '55000': 'object_not_in_prerequisite_state',
};

/** The names of SQLSTATE classes, for codes without a name of their own above. */
const CONDITION_CLASSES: Readonly<Record<string, string>> = {
  '08': 'connection_exception',
  '22': 'data_exception',
  '23': 'integrity_constraint_violation',
  '40': 'transaction_rollback',
  '42': 'syntax_error_or_access_rule_violation',
  '53': 'insufficient_resources',
  '54': 'program_limit_exceeded',
  '55': 'object_not_in_prerequisite_state',
  '57': 'operator_intervention',
  XX: 'internal_error',
};

interface ErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
  readonly table?: unknown;
  readonly column?: unknown;
  readonly constraint?: unknown;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;
const SYSTEM_CODE = /^E[A-Z0-9_]{1,31}$/;
/** Names of our own schema objects and classes; anything else is not repeated. */
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$.]{0,127}$/;

const isObject = (u: unknown): u is ErrorLike => typeof u === 'object' && u !== null;

/** The error, the errors it wraps (`cause`, an `AggregateError`'s `errors`), theirs, and so on. */
const chainOf = (error: unknown): ErrorLike[] => {
  const chain: ErrorLike[] = [];
  const visit = (u: unknown, depth: number): void => {
    if (!isObject(u) || depth > 5 || chain.includes(u)) return;
    chain.push(u);
    if (Array.isArray(u.errors)) for (const inner of u.errors as unknown[]) visit(inner, depth + 1);
    visit(u.cause, depth + 1);
  };
  visit(error, 0);
  return chain;
};

const isConnectionLevel = (error: ErrorLike): boolean => {
  const { code, name, message } = error;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SHUTDOWN_STATES.has(code)) return true;
    if (SQLSTATE.test(code) && code.startsWith('08') && code !== PROTOCOL_VIOLATION) return true;
  }
  if (name === 'KnexTimeoutError' || name === 'ConnectionException') return true;
  return typeof message === 'string' && CONNECTION_MESSAGES.some(([m]) => message.includes(m));
};

/**
 * Whether `error` means the database cannot be reached, looking through the wrappers that
 * MikroORM (`DriverException`, for errors of the migrations), node (`AggregateError` of a
 * multi-address connect) and `cause` chains put around the original failure.
 */
export const isConnectionFailure = (error: unknown): boolean => chainOf(error).some(isConnectionLevel);

const firstMatching = (chain: readonly ErrorLike[], read: (e: ErrorLike) => unknown, pattern: RegExp) => {
  for (const e of chain) {
    const value = read(e);
    if (typeof value === 'string' && pattern.test(value)) return value;
  }
  return undefined;
};

const conditionOf = (sqlState: string | undefined, chain: readonly ErrorLike[]): string | undefined => {
  if (sqlState !== undefined) return CONDITIONS[sqlState] ?? CONDITION_CLASSES[sqlState.slice(0, 2)];
  for (const { message } of chain) {
    if (typeof message !== 'string') continue;
    const known = CONNECTION_MESSAGES.find(([m]) => message.includes(m));
    if (known !== undefined) return known[1];
  }
  return undefined;
};

const classNameOf = (error: unknown): string | undefined => {
  if (!isObject(error)) return undefined;
  const name = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && IDENTIFIER.test(name) ? name : undefined;
};

/**
 * The facts of `error` that can never hold a value: SQLSTATE, the schema objects it names, the
 * socket error code and the thrown class. Messages, `detail`, `where`, `hint` and the statement
 * are left behind, whatever they look like.
 */
export const storageErrorFacts = (error: unknown): StorageErrorFacts => {
  const chain = chainOf(error);
  const sqlState = firstMatching(chain, (e) => e.code, SQLSTATE);
  const facts: Record<string, string | undefined> = {
    sqlState,
    condition: conditionOf(sqlState, chain),
    systemCode: firstMatching(chain, (e) => e.code, SYSTEM_CODE),
    table: firstMatching(chain, (e) => e.table, IDENTIFIER),
    column: firstMatching(chain, (e) => e.column, IDENTIFIER),
    constraint: firstMatching(chain, (e) => e.constraint, IDENTIFIER),
    errorClass: classNameOf(error),
  };
  return Object.fromEntries(Object.entries(facts).filter(([, value]) => value !== undefined));
};

/**
 * The error a port rethrows, in place of whatever the driver, the pool or the ORM threw:
 * connection-level failures become the domain's `StorageUnavailableError` (a 503, docs/http-api.md#conventions),
 * everything else a `StorageError` (a 500). Either carries only `storageErrorFacts`; the original
 * error is dropped, not kept as `cause`, because its message quotes the statement with its
 * parameters and nothing downstream may ever log it.
 */
export const toStorageError = (error: unknown): StorageError => {
  if (error instanceof StorageError) return error;
  const facts = storageErrorFacts(error);
  return isConnectionFailure(error) ? new StorageUnavailableError(facts) : new StorageError(facts);
};

/** The constraint a unique violation (23505) names, or `undefined` for any other error. */
export const violatedUniqueConstraint = (error: unknown): string | undefined => {
  if (!(error instanceof StorageError)) return undefined;
  const { sqlState, constraint } = error.facts;
  return sqlState === '23505' ? constraint : undefined;
};
