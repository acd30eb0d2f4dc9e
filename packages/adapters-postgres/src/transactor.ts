import type { Repositories, Transactor } from '@latchkey/domain';
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
import type { Sql } from './gateway.js';
import { PostgresUserRepository } from './users.js';

/** The repositories over one gateway: the storage's own, or a transaction's. */
export const repositoriesOn = (sql: Sql): Repositories => ({
  users: new PostgresUserRepository(sql),
  apiKeys: new PostgresApiKeyRepository(sql),
  audit: new PostgresAuditLog(sql),
  clients: new PostgresClientRepository(sql),
  clientSecrets: new PostgresClientSecretRepository(sql),
  grants: new PostgresGrantRepository(sql),
  pendingAuthorizations: new PostgresPendingAuthorizationRepository(sql),
  codes: new PostgresAuthorizationCodeRepository(sql),
  refreshTokens: new PostgresRefreshTokenRepository(sql),
});

/** Carries a `Left` out of `Sql#transaction`, which rolls back only when its work rejects. */
class RollbackSignal extends Error {
  override readonly name = 'RollbackSignal';
}

/**
 * One database transaction per `run` (`Sql#transaction`): committed when the work ends `Right`,
 * rolled back when it ends `Left` (the `Left` is returned) or throws (the work's error is rethrown
 * as it is; a failed BEGIN or COMMIT as a `StorageError`, connection failures as
 * `StorageUnavailableError`).
 *
 * The work gets repositories bound to the transaction's gateway, so every statement runs on the
 * transaction's connection. That is a correctness requirement, not a nicety: the embedded
 * database serves one connection (docs/http-api.md#configuration), so a statement sent through the pool while a
 * transaction holds that connection would wait for it forever.
 *
 * @see docs/http-api.md#audit-log (the audit entry commits with its change), #configuration
 */
export class PostgresTransactor implements Transactor {
  constructor(private readonly sql: Sql) {}

  async run<Err, A>(work: (repositories: Repositories) => TaskEither<Err, A>): Promise<E.Either<Err, A>> {
    let rolledBack: E.Left<Err> | undefined;
    try {
      return await this.sql.transaction(async (tx) => {
        const outcome = await work(repositoriesOn(tx))();
        if (E.isRight(outcome)) return outcome;
        rolledBack = outcome;
        throw new RollbackSignal();
      });
    } catch (error) {
      if (error instanceof RollbackSignal && rolledBack !== undefined) return rolledBack;
      throw error;
    }
  }
}
