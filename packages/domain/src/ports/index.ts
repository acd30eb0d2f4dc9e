export type * from './api-key-repository.js';
export type * from './audit-log.js';
export type * from './authorization-repositories.js';
export type * from './client-repository.js';
export type * from './system.js';
export type * from './transactor.js';
export type * from './user-repository.js';

import type { ApiKeyRepository } from './api-key-repository.js';
import type { AuditLog } from './audit-log.js';
import type {
  AuthorizationCodeRepository,
  GrantRepository,
  PendingAuthorizationRepository,
  RefreshTokenRepository,
} from './authorization-repositories.js';
import type { ClientRepository, ClientSecretRepository } from './client-repository.js';
import type { Clock, HealthCheck, PasswordHasher, Random } from './system.js';
import type { Transactor } from './transactor.js';
import type { UserRepository } from './user-repository.js';

/** Every port; each use case takes a `Pick` of only those it needs. */
export interface Ports {
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly audit: AuditLog;
  readonly clients: ClientRepository;
  readonly clientSecrets: ClientSecretRepository;
  readonly grants: GrantRepository;
  readonly pendingAuthorizations: PendingAuthorizationRepository;
  readonly codes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly transactor: Transactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly passwords: PasswordHasher;
  readonly health: HealthCheck;
}
