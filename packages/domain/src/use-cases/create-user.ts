import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { actorUserId, type Actor } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import type { UserId } from '../model/ids.js';
import type { NewUser, Role, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { Repositories } from '../ports/transactor.js';
import type { InsertUserResult } from '../ports/user-repository.js';
import { appendAudit } from './audit-entry.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, tryTransaction, type Outcome } from './support.js';
import { userAuditDiff } from './user-record.js';

export type CreateUserDeps = Pick<Ports, 'transactor' | 'passwords' | 'clock' | 'random'>;

export const buildUser = (deps: Pick<Ports, 'clock' | 'random'>, input: NewUser, role: Role): User => ({
  id: deps.random.uuid() as UserId,
  email: input.email,
  username: input.username,
  name: input.name ?? '',
  role,
  createdAt: deps.clock.now(),
});

/** A duplicate email or username is a 409 naming the field (docs/http-api.md#users-and-sessions). */
export const insertOutcome = (result: InsertUserResult): E.Either<ApiError, void> => {
  switch (result) {
    case 'inserted':
      return E.right(undefined);
    case 'duplicate_email':
      return E.left(ApiErrors.conflict('A user with this email already exists.', 'email'));
    case 'duplicate_username':
      return E.left(ApiErrors.conflict('A user with this username already exists.', 'username'));
  }
};

/**
 * Stores a new user through `insert` (which reports duplicates) and audits its creation by
 * `actorId`, in the caller's transaction.
 */
export const insertUserAudited = async (
  tx: Repositories,
  deps: Pick<Ports, 'clock' | 'random'>,
  meta: RequestMeta,
  user: User,
  actorId: UserId | undefined,
  insert: () => Promise<InsertUserResult | 'not_first'>,
): Outcome<ApiError, void> => {
  const inserted = await tryPort(insert);
  if (E.isLeft(inserted)) return inserted;
  const outcome = inserted.right === 'not_first' ? E.left(alreadySetUp()) : insertOutcome(inserted.right);
  if (E.isLeft(outcome)) return outcome;
  const audit = appendAudit(tx, deps, meta);
  return audit(
    { action: 'create', resourceType: 'user', resourceId: user.id },
    { actorId, status: 201, diff: userAuditDiff(user) },
  );
};

/** The answer to creating a first user once there is one (docs/http-api.md#users-and-sessions). */
export const alreadySetUp = (): ApiError => ApiErrors.conflict('The first user has already been created.');

/**
 * An owner, or the system (docs/cli.md#authorisation-and-audit), creates a user (role `member`
 * unless stated), audited in the same transaction.
 *
 * @see docs/http-api.md#users-and-sessions, #audit-log
 */
export const makeCreateUser = (deps: CreateUserDeps) => {
  const create = async (actor: Actor, input: NewUser, meta: RequestMeta): Outcome<ApiError, User> => {
    const user = buildUser(deps, input, input.role ?? 'member');
    const allowed = requireOwner(actor);
    if (E.isLeft(allowed)) return allowed;
    const hash = await tryPort(() => deps.passwords.hash(input.password));
    if (E.isLeft(hash)) return hash;
    const stored = await tryTransaction(deps.transactor, (tx) =>
      insertUserAudited(tx, deps, meta, user, actorUserId(actor), () => tx.users.insert(user, hash.right)),
    );
    return E.isLeft(stored) ? stored : E.right(user);
  };
  return asTask(create);
};
