import * as E from 'fp-ts/lib/Either.js';
import type { Clock, HealthCheck } from '../ports/system.js';
import type { Repositories, Transactor } from '../ports/transactor.js';
import { InMemoryApiKeyRepository } from './api-keys.js';
import { InMemoryAuditLog } from './audit-log.js';
import {
  InMemoryAuthorizationCodeRepository,
  InMemoryGrantRepository,
  InMemoryPendingAuthorizationRepository,
  InMemoryRefreshTokenRepository,
} from './authorization.js';
import { InMemoryClientRepository, InMemoryClientSecretRepository } from './clients.js';
import { InMemoryDatabase, type Journal } from './database.js';
import { InMemoryRateLimitCounters } from './rate-limit-counters.js';
import { InMemorySigningKeyRepository } from './signing-keys.js';
import { InMemoryUserRepository } from './users.js';

export {
  InMemoryApiKeyRepository,
  InMemoryAuthorizationCodeRepository,
  InMemoryGrantRepository,
  InMemoryPendingAuthorizationRepository,
  InMemoryRefreshTokenRepository,
  InMemoryAuditLog,
  InMemoryClientRepository,
  InMemoryClientSecretRepository,
  InMemoryDatabase,
  InMemoryRateLimitCounters,
  InMemoryUserRepository,
  InMemorySigningKeyRepository,
};

/** The repositories over `db`, journaling into `journal` when inside a transaction. */
export const inMemoryRepositories = (db: InMemoryDatabase, journal?: Journal): Repositories => ({
  users: new InMemoryUserRepository(db, journal),
  apiKeys: new InMemoryApiKeyRepository(db, journal),
  audit: new InMemoryAuditLog(db, journal),
  clients: new InMemoryClientRepository(db, journal),
  clientSecrets: new InMemoryClientSecretRepository(db, journal),
  grants: new InMemoryGrantRepository(db, journal),
  pendingAuthorizations: new InMemoryPendingAuthorizationRepository(db, journal),
  codes: new InMemoryAuthorizationCodeRepository(db, journal),
  refreshTokens: new InMemoryRefreshTokenRepository(db, journal),
});

export class InMemoryTransactor implements Transactor {
  constructor(private readonly db: InMemoryDatabase) {}

  run<Err, A>(
    work: (repositories: Repositories) => () => Promise<E.Either<Err, A>>,
  ): Promise<E.Either<Err, A>> {
    return this.db.transaction((journal) => work(inMemoryRepositories(this.db, journal))(), E.isRight);
  }
}

/** A clock that only moves when told to, for expiry tests. */
export class FixedClock implements Clock {
  constructor(private current: Date = new Date('2026-01-01T00:00:00Z')) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(at: Date): void {
    this.current = new Date(at.getTime());
  }
  advance(seconds: number): void {
    this.current = new Date(this.current.getTime() + seconds * 1000);
  }
}

/** All in-memory repositories over one database, plus a transactor over them. */
export const createInMemoryStorage = (db: InMemoryDatabase = new InMemoryDatabase()) => {
  const health: HealthCheck = { ping: () => Promise.resolve(true) };
  return {
    db,
    ...inMemoryRepositories(db),
    transactor: new InMemoryTransactor(db),
    health,
    signingKeys: new InMemorySigningKeyRepository(db),
  };
};
