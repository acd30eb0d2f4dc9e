import * as E from 'fp-ts/lib/Either.js';
import type { Clock, HealthCheck } from '../ports/system.js';
import type { Repositories, Transactor } from '../ports/transactor.js';
import { InMemoryApiKeyRepository } from './api-keys.js';
import { InMemoryAuditLog } from './audit-log.js';
import { InMemoryDatabase } from './database.js';
import { InMemoryUserRepository } from './users.js';

export { InMemoryApiKeyRepository, InMemoryAuditLog, InMemoryDatabase, InMemoryUserRepository };

export class InMemoryTransactor implements Transactor {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly repositories: Repositories,
  ) {}

  run<Err, A>(work: (repositories: Repositories) => () => Promise<E.Either<Err, A>>): Promise<E.Either<Err, A>> {
    return this.db.transaction(() => work(this.repositories)(), E.isRight);
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
  const repositories: Repositories = {
    users: new InMemoryUserRepository(db),
    apiKeys: new InMemoryApiKeyRepository(db),
    audit: new InMemoryAuditLog(db),
  };
  const health: HealthCheck = { ping: () => Promise.resolve(true) };
  return { db, ...repositories, transactor: new InMemoryTransactor(db, repositories), health };
};
