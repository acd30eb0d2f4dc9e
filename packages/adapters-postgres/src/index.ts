export { PostgresApiKeyRepository } from './api-keys.js';
export { PostgresAuditLog } from './audit-log.js';
export {
  ApiKeySchema,
  AuditLogSchema,
  UserSchema,
  type ApiKeyRow,
  type AuditLogRow,
  type UserRow,
} from './entities.js';
export { PostgresHealthCheck } from './health-check.js';
export { UnexpectedRowError } from './mappers.js';
export { MIGRATIONS } from './migrations/index.js';
export { Migration20261127000001Init } from './migrations/migration-20261127000001-init.js';
export {
  createPostgresStorage,
  migrate,
  type PostgresOrm,
  type PostgresStorage,
  type PostgresStorageOptions,
} from './storage.js';
export { isConnectionFailure, toStorageError } from './storage-errors.js';
export { PostgresTransactor, repositoriesOn } from './transactor.js';
export { PostgresUserRepository } from './users.js';
