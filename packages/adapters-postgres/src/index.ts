export { PostgresApiKeyRepository } from './api-keys.js';
export { PostgresAuditLog } from './audit-log.js';
export {
  PostgresAuthorizationCodeRepository,
  PostgresGrantRepository,
  PostgresPendingAuthorizationRepository,
  PostgresRefreshTokenRepository,
} from './authorization.js';
export { PostgresClientRepository, PostgresClientSecretRepository } from './clients.js';
export {
  ApiKeySchema,
  AuditLogSchema,
  AuthorizationCodeSchema,
  ClientSchema,
  ClientSecretSchema,
  ENTITY_SCHEMAS,
  GrantSchema,
  PendingAuthorizationSchema,
  RateLimitSchema,
  RefreshTokenSchema,
  SigningKeySchema,
  UserSchema,
  type ApiKeyRow,
  type AuditLogRow,
  type AuthorizationCodeRow,
  type ClientRow,
  type ClientSecretRow,
  type GrantRow,
  type PendingAuthorizationRow,
  type RateLimitRow,
  type RefreshTokenRow,
  type SigningKeyRow,
  type UserRow,
} from './entities.js';
export {
  changesCachedRows,
  connectionPoolOf,
  Sql,
  Tables,
  type Connection,
  type ConnectionPool,
  type LookupCacheOptions,
  type PoolUse,
  type Raw,
  type SqlOptions,
  type Statement,
  type StatementObserver,
} from './gateway.js';
export { PostgresHealthCheck } from './health-check.js';
export { liveGrant } from './live-grant.js';
export { toGrant, toGrantRow, UnexpectedRowError } from './mappers.js';
export { MIGRATIONS } from './migrations/index.js';
export { PostgresRateLimitCounters } from './rate-limit-counters.js';
export { Migration20261127000001Init } from './migrations/migration-20261127000001-init.js';
export { Migration20261127000002OAuth2Clients } from './migrations/migration-20261127000002-oauth2-clients.js';
export { Migration20261127000003AuthorizationCodeFlow } from './migrations/migration-20261127000003-authorization-code-flow.js';
export { Migration20261127000004ClientFirstToken } from './migrations/migration-20261127000004-client-first-token.js';
export {
  createPostgresStorage,
  migrate,
  type MigrateOptions,
  type Pooler,
  type PostgresOrm,
  type PostgresStorage,
  type PostgresStorageOptions,
} from './storage.js';
export { isConnectionFailure, storageErrorFacts, toStorageError } from './storage-errors.js';
export { PostgresSigningKeyRepository } from './signing-keys.js';
export { PostgresTransactor, repositoriesOn } from './transactor.js';
export { PostgresUserRepository } from './users.js';
