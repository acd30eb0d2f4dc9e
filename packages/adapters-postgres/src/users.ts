import type { InsertUserResult, Page, StoredUser, User, UserId, UserRepository } from '@latchkey/domain';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSchema, type UserRow } from './entities.js';
import { toStoredUser, toUser, toUserRow } from './mappers.js';
import { findOne } from './find-one.js';
import { guarded, violatedUniqueConstraint } from './storage-errors.js';
import { withinTransaction } from './within-transaction.js';

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
const INSERT_SAVEPOINT = 'latchkey_insert_user';

/**
 * Inserts a user, turning a unique violation on email or username into the port's answer.
 * Inside a caller's transaction the insert runs under a savepoint, because a failed statement
 * would otherwise abort the whole transaction and the caller could not go on (to audit the
 * failure, say), unlike with the in-memory adapter. The savepoint is plain SQL rather than a
 * nested `em.transactional`: knex reports a nested transaction whose SAVEPOINT failed only as
 * "Transaction query already complete", hiding a dropped connection behind it.
 */
const insertUser = async (em: EntityManager, row: UserRow): Promise<InsertUserResult> => {
  const savepoint = em.isInTransaction();
  try {
    if (savepoint) await em.execute(`savepoint ${INSERT_SAVEPOINT}`);
    await em.insert(UserSchema, row);
    if (savepoint) await em.execute(`release savepoint ${INSERT_SAVEPOINT}`);
    return 'inserted';
  } catch (error) {
    const duplicate = DUPLICATE_BY_CONSTRAINT[violatedUniqueConstraint(error) ?? ''];
    if (duplicate === undefined) throw error;
    if (savepoint) await em.execute(`rollback to savepoint ${INSERT_SAVEPOINT}`);
    return duplicate;
  }
};

/**
 * Users and their scrypt password hashes in `users`. Emails are unique case-insensitively
 * through a unique index on `lower(email)`, usernames exactly.
 *
 * Reads and writes are single native statements (no unit of work), and every call is bound to
 * the EntityManager it was built with: a transaction's fork inside `PostgresTransactor.run`, the
 * storage's own fork otherwise.
 *
 * @see docs/http-api.md#users-and-sessions
 */
export class PostgresUserRepository implements UserRepository {
  constructor(private readonly em: EntityManager) {}

  insert(user: User, passwordHash: string): Promise<InsertUserResult> {
    return guarded(() => insertUser(this.em, toUserRow(user, passwordHash)));
  }

  /**
   * Of concurrent callers exactly one gets `inserted` (docs/http-api.md#users-and-sessions, "exactly one succeeds"): the
   * advisory lock makes the existence check and the insert one step. Under READ COMMITTED the
   * check, taken after the lock is granted, sees the row a previous holder committed. Joins the
   * caller's transaction, or runs its own so that it is atomic when called alone.
   */
  insertFirst(user: User, passwordHash: string): Promise<InsertUserResult | 'not_first'> {
    const row = toUserRow(user, passwordHash);
    return guarded(() =>
      withinTransaction(this.em, async (tx): Promise<InsertUserResult | 'not_first'> => {
        await tx.execute('select pg_advisory_xact_lock(?, ?)', [...FIRST_USER_LOCK]);
        const [found] = await tx.execute<{ taken: boolean }[]>(
          'select exists (select 1 from users) as taken',
        );
        return found?.taken === true ? 'not_first' : insertUser(tx, row);
      }),
    );
  }

  findByEmail(email: string): Promise<StoredUser | undefined> {
    return guarded(async () => {
      const row = await this.em
        .createQueryBuilder(UserSchema)
        .select('*')
        .where('lower(email) = lower(?)', [email])
        .limit(1)
        .execute<UserRow | null>('get');
      return row ? toStoredUser(row) : undefined;
    });
  }

  findById(id: UserId): Promise<User | undefined> {
    return guarded(async () => {
      const row = await findOne(this.em, UserSchema, 'id', id);
      return row ? toUser(row) : undefined;
    });
  }

  list(page: Page): Promise<User[]> {
    return guarded(async () => {
      const rows = await this.em
        .createQueryBuilder(UserSchema)
        .select('*')
        .orderBy([{ createdAt: 'asc' }, { id: 'asc' }])
        .limit(page.limit)
        .offset(page.offset)
        .execute<UserRow[]>('all');
      return rows.map(toUser);
    });
  }

  any(): Promise<boolean> {
    return guarded(async () => {
      const [found] = await this.em.execute<{ taken: boolean }[]>(
        'select exists (select 1 from users) as taken',
      );
      return found?.taken === true;
    });
  }
}
