/**
 * Thrown by storage adapters when the database cannot be reached. Use cases turn it into a 503
 * (`ApiErrors.unavailable`); anything else a port throws is a 500.
 */
export class StorageUnavailableError extends Error {
  override readonly name = 'StorageUnavailableError';
  constructor(options?: { cause?: unknown }) {
    super('The database is unavailable.', options);
  }
}

export const isStorageUnavailable = (u: unknown): u is StorageUnavailableError =>
  u instanceof StorageUnavailableError ||
  (typeof u === 'object' && u !== null && (u as { name?: unknown }).name === 'StorageUnavailableError');
