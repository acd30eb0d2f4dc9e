import type { Either } from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import type { ApiKeyRepository } from './api-key-repository.js';
import type { AuditLog } from './audit-log.js';
import type {
  AuthorizationCodeRepository,
  GrantRepository,
  PendingAuthorizationRepository,
  RefreshTokenRepository,
} from './authorization-repositories.js';
import type { ClientRepository, ClientSecretRepository } from './client-repository.js';
import type { UserRepository } from './user-repository.js';

/** The repositories a transaction can write through. */
export interface Repositories {
  readonly users: UserRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly audit: AuditLog;
  readonly clients: ClientRepository;
  readonly clientSecrets: ClientSecretRepository;
  readonly grants: GrantRepository;
  readonly pendingAuthorizations: PendingAuthorizationRepository;
  readonly codes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
}

/**
 * Runs work in one database transaction: committed when the work ends `Right`, rolled back when
 * it ends `Left` or throws (the error is re-thrown). Inside, use only the repositories passed in:
 * the embedded database has a single connection, so waiting on another would deadlock.
 */
export interface Transactor {
  run<E, A>(work: (repositories: Repositories) => TaskEither<E, A>): Promise<Either<E, A>>;
}
