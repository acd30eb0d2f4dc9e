import type { Repositories, Transactor } from '@latchkey/domain';
import type { EntityManager } from '@mikro-orm/postgresql';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { PostgresApiKeyRepository } from './api-keys.js';
import { PostgresAuditLog } from './audit-log.js';
import {
  PostgresAuthorizationCodeRepository,
  PostgresGrantRepository,
  PostgresPendingAuthorizationRepository,
  PostgresRefreshTokenRepository,
} from './authorization.js';
import { PostgresClientRepository, PostgresClientSecretRepository } from './clients.js';
import { toStorageError } from './storage-errors.js';
import { withinTransaction } from './within-transaction.js';
import { PostgresUserRepository } from './users.js';

/** The repositories of one EntityManager: the storage's own, or a transaction's. */
export const repositoriesOn = (em: EntityManager): Repositories => ({
  users: new PostgresUserRepository(em),
  apiKeys: new PostgresApiKeyRepository(em),
  audit: new PostgresAuditLog(em),
  clients: new PostgresClientRepository(em),
  clientSecrets: new PostgresClientSecretRepository(em),
  grants: new PostgresGrantRepository(em),
  pendingAuthorizations: new PostgresPendingAuthorizationRepository(em),
  codes: new PostgresAuthorizationCodeRepository(em),
  refreshTokens: new PostgresRefreshTokenRepository(em),
});

/** Carries a `Left` out of `withinTransaction`, which rolls back only when its work rejects. */
class RollbackSignal extends Error {
  override readonly name = 'RollbackSignal';
}

/**
 * One database transaction per `run`, on a fork of the storage's EntityManager: committed when
 * the work ends `Right`, rolled back when it ends `Left` (the `Left` is returned) or throws (the
 * work's error is rethrown as it is; a failed BEGIN or COMMIT as a `StorageError`, connection
 * failures as `StorageUnavailableError`).
 *
 * The work gets repositories bound to the transaction's EntityManager, so every statement runs
 * on the transaction's connection. That is a correctness requirement, not a nicety: the embedded
 * database serves one connection (docs/http-api.md#configuration), so a statement sent through the pool while a
 * transaction holds that connection would wait for it forever.
 *
 * @see docs/http-api.md#audit-log (the audit entry commits with its change), #configuration
 */
export class PostgresTransactor implements Transactor {
  constructor(private readonly em: EntityManager) {}

  async run<Err, A>(work: (repositories: Repositories) => TaskEither<Err, A>): Promise<E.Either<Err, A>> {
    let rolledBack: E.Left<Err> | undefined;
    let thrownByWork: { readonly error: unknown } | undefined;
    try {
      return await withinTransaction(this.em, async (tx) => {
        let outcome: E.Either<Err, A>;
        try {
          outcome = await work(repositoriesOn(tx))();
        } catch (error) {
          thrownByWork = { error };
          throw error;
        }
        if (E.isRight(outcome)) return outcome;
        rolledBack = outcome;
        throw new RollbackSignal();
      });
    } catch (error) {
      if (error instanceof RollbackSignal && rolledBack !== undefined) return rolledBack;
      // The work's own error (its repositories already threw storage errors) goes out unchanged.
      if (thrownByWork !== undefined && thrownByWork.error === error) throw error;
      throw toStorageError(error);
    }
  }
}
