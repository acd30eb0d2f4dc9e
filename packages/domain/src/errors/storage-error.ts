/**
 * What a storage adapter may say about a failed call: codes and the names of schema objects.
 * Never a statement, a parameter or a stored value: a driver's own error quotes the statement with
 * its values (a password hash among them), and PostgreSQL's `detail` of a unique or check
 * violation quotes the row. Adapters build these facts from the driver's error and drop that
 * error, so a `StorageError` can be logged as it is.
 */
export interface StorageErrorFacts {
  /** The SQLSTATE, e.g. `23505`. */
  readonly sqlState?: string;
  /** What the SQLSTATE (or its class) means, e.g. `unique_violation`, `data_exception`. */
  readonly condition?: string;
  /** A socket-level error code, e.g. `ECONNRESET`. */
  readonly systemCode?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  /** The class of the error the driver or ORM threw, e.g. `UniqueConstraintViolationException`. */
  readonly errorClass?: string;
}

/**
 * Thrown by storage adapters when a call fails for any reason other than an outage. Use cases turn
 * it into a 500 (`ApiErrors.internal`): input is validated at the edge, so a statement the
 * database refuses is a fault of ours, not of the request.
 */
export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  readonly facts: StorageErrorFacts;

  constructor(facts: StorageErrorFacts = {}, message = 'A storage call failed.') {
    super(message);
    this.facts = facts;
  }
}

/**
 * Thrown by storage adapters when the database cannot be reached. Use cases turn it into a 503
 * (`ApiErrors.unavailable`).
 */
export class StorageUnavailableError extends StorageError {
  override readonly name = 'StorageUnavailableError';

  constructor(facts: StorageErrorFacts = {}) {
    super(facts, 'The database is unavailable.');
  }
}

export const isStorageUnavailable = (u: unknown): u is StorageUnavailableError =>
  u instanceof StorageUnavailableError ||
  (typeof u === 'object' && u !== null && (u as { name?: unknown }).name === 'StorageUnavailableError');
