import type { UserId } from '../model/ids.js';
import { normaliseEmail, type User } from '../model/user.js';
import type { InsertUserResult, Page, StoredUser, UserRepository } from '../ports/user-repository.js';
import type { InMemoryDatabase, Journal } from './database.js';

export class InMemoryUserRepository implements UserRepository {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  insert(user: User, passwordHash: string): Promise<InsertUserResult> {
    return Promise.resolve(this.insertNow(user, passwordHash));
  }

  insertFirst(user: User, passwordHash: string): Promise<InsertUserResult | 'not_first'> {
    return Promise.resolve(this.db.users.size > 0 ? 'not_first' : this.insertNow(user, passwordHash));
  }

  findByEmail(email: string): Promise<StoredUser | undefined> {
    const wanted = normaliseEmail(email);
    for (const stored of this.db.users.values()) {
      if (normaliseEmail(stored.user.email) === wanted) return Promise.resolve(stored);
    }
    return Promise.resolve(undefined);
  }

  findById(id: UserId): Promise<User | undefined> {
    return Promise.resolve(this.db.users.get(id.toLowerCase())?.user);
  }

  setPasswordHash(id: UserId, passwordHash: string): Promise<boolean> {
    const stored = this.db.users.get(id.toLowerCase());
    if (stored === undefined) return Promise.resolve(false);
    this.db.put(this.journal, this.db.users, id.toLowerCase(), { ...stored, passwordHash });
    return Promise.resolve(true);
  }

  list(page: Page): Promise<User[]> {
    const users = [...this.db.users.values()]
      .map((s) => s.user)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
    return Promise.resolve(users.slice(page.offset, page.offset + page.limit));
  }

  any(): Promise<boolean> {
    return Promise.resolve(this.db.users.size > 0);
  }

  private insertNow(user: User, passwordHash: string): InsertUserResult {
    for (const { user: other } of this.db.users.values()) {
      if (normaliseEmail(other.email) === normaliseEmail(user.email)) return 'duplicate_email';
      if (other.username === user.username) return 'duplicate_username';
    }
    this.db.put(this.journal, this.db.users, user.id.toLowerCase(), { user, passwordHash });
    return 'inserted';
  }
}
