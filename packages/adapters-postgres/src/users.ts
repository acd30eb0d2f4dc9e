import type { InsertUserResult, Page, StoredUser, User, UserId, UserRepository } from '@latchkey/domain';
import { UserSchema, type UserRow } from './entities.js';
import type { Sql, Statement } from './gateway.js';
import { toStoredUser, toUser, toUserRow } from './mappers.js';
import { violatedUniqueConstraint } from './storage-errors.js';
import { isUuid } from './uuid.js';

/**
 * Key of the transaction-scoped advisory lock that serialises `insertFirst` (two-int form:
 * "LK" as a namespace, then 1). Advisory rather than a table lock so that it blocks only other
 * first-user attempts, not logins reading `users`.
 */
const FIRST_USER_LOCK = [0x4c4b, 1] as const;

/** Maps the violated unique constraint to the port's answer; the names come from the migration. */
const DUPLICATE_BY_CONSTRAINT: Readonly<Record<string, InsertUserResult>> = {
  users_email_lower_key: 'duplicate_email',
  users_username_key: 'duplicate_username',
};

/** Released at once, so one fixed name is enough even when the caller nests savepoints. */
const SAVEPOINT: Statement = { text: 'savepoint latchkey_insert_user' };
const RELEASE_SAVEPOINT: Statement = { text: 'release savepoint latchkey_insert_user' };
const ROLLBACK_TO_SAVEPOINT: Statement = { text: 'rollback to savepoint latchkey_insert_user' };

const LOCK_FIRST_USER: Statement = { text: 'select pg_advisory_xact_lock($1, $2)' };
const ANY_USER: Statement = { text: 'select exists (select 1 from users) as taken' };
const FIND_BY_EMAIL: Statement = {
  name: 'latchkey_find_user_by_email',
  text: 'select * from users where lower(email) = lower($1) limit 1',
};
const SET_PASSWORD_HASH: Statement = { text: 'update users set password_hash = $2 where id = $1' };
const LIST: Statement = { text: 'select * from users order by created_at asc, id asc limit $1 offset $2' };

/**
 * Inserts a user, turning a unique violation on email or username into the port's answer.
 * Inside a caller's transaction the insert runs under a savepoint, because a failed statement
 * would otherwise abort the whole transaction and the caller could not go on (to audit the
 * failure, say), unlike with the in-memory adapter.
 */
const insertUser = async (sql: Sql, row: UserRow): Promise<InsertUserResult> => {
  const savepoint = sql.inTransaction;
  try {
    if (savepoint) await sql.count(SAVEPOINT);
    await sql.insert(UserSchema, row);
    if (savepoint) await sql.count(RELEASE_SAVEPOINT);
    return 'inserted';
  } catch (error) {
    const duplicate = DUPLICATE_BY_CONSTRAINT[violatedUniqueConstraint(error) ?? ''];
    if (duplicate === undefined) throw error;
    if (savepoint) await sql.count(ROLLBACK_TO_SAVEPOINT);
    return duplicate;
  }
};

const anyUser = async (sql: Sql): Promise<boolean> =>
  (await sql.first(ANY_USER, [], (raw) => raw.taken === true)) === true;

/**
 * Users and their scrypt password hashes in `users`. Emails are unique case-insensitively
 * through a unique index on `lower(email)`, usernames exactly.
 *
 * Every call is bound to the gateway it was built with: a transaction's inside
 * `PostgresTransactor.run`, the storage's own otherwise.
 *
 * @see docs/http-api.md#users-and-sessions
 */
export class PostgresUserRepository implements UserRepository {
  constructor(private readonly sql: Sql) {}

  insert(user: User, passwordHash: string): Promise<InsertUserResult> {
    return insertUser(this.sql, toUserRow(user, passwordHash));
  }

  /**
   * Of concurrent callers exactly one gets `inserted` (docs/http-api.md#users-and-sessions, "exactly one succeeds"): the
   * advisory lock makes the existence check and the insert one step. Under READ COMMITTED the
   * check, taken after the lock is granted, sees the row a previous holder committed. Joins the
   * caller's transaction, or runs its own so that it is atomic when called alone.
   */
  insertFirst(user: User, passwordHash: string): Promise<InsertUserResult | 'not_first'> {
    const row = toUserRow(user, passwordHash);
    return this.sql.transaction(async (tx): Promise<InsertUserResult | 'not_first'> => {
      await tx.count(LOCK_FIRST_USER, [...FIRST_USER_LOCK]);
      return (await anyUser(tx)) ? 'not_first' : insertUser(tx, row);
    });
  }

  findByEmail(email: string): Promise<StoredUser | undefined> {
    return this.sql.entities(UserSchema, FIND_BY_EMAIL, [email], toStoredUser).then(([found]) => found);
  }

  findById(id: UserId): Promise<User | undefined> {
    return this.sql.remembered(`users.id:${id}`, () => this.sql.lookup(UserSchema, 'id', id, toUser));
  }

  async setPasswordHash(id: UserId, passwordHash: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    return (await this.sql.count(SET_PASSWORD_HASH, [id, passwordHash])) > 0;
  }

  list(page: Page): Promise<User[]> {
    return this.sql.entities(UserSchema, LIST, [page.limit, page.offset], toUser);
  }

  any(): Promise<boolean> {
    return anyUser(this.sql);
  }
}
