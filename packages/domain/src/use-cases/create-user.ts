import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import type { UserId } from '../model/ids.js';
import type { NewUser, Role, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { InsertUserResult } from '../ports/user-repository.js';
import { auditEntry } from './audit-entry.js';
import { requireOwner } from './policy.js';
import { decide, fromPort, inTransaction } from './support.js';
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
export const insertOutcome = (result: InsertUserResult): TE.TaskEither<ApiError, void> => {
  switch (result) {
    case 'inserted':
      return TE.right(undefined);
    case 'duplicate_email':
      return TE.left(ApiErrors.conflict('A user with this email already exists.', 'email'));
    case 'duplicate_username':
      return TE.left(ApiErrors.conflict('A user with this username already exists.', 'username'));
  }
};

/**
 * An owner creates a user (role `member` unless stated), audited in the same transaction.
 *
 * @see docs/http-api.md#users-and-sessions, #audit-log
 */
export const makeCreateUser =
  (deps: CreateUserDeps) =>
  (principal: Principal, input: NewUser, meta: RequestMeta): TE.TaskEither<ApiError, User> => {
    const user = buildUser(deps, input, input.role ?? 'member');
    const audit = auditEntry(deps, meta);
    return pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() => fromPort(() => deps.passwords.hash(input.password))),
      TE.flatMap((hash) =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.users.insert(user, hash)),
            TE.flatMap(insertOutcome),
            TE.tap(() =>
              fromPort(() =>
                tx.audit.append(
                  audit({
                    action: 'create',
                    resourceType: 'user',
                    resourceId: user.id,
                    actorId: principal.user.id,
                    status: 201,
                    diff: userAuditDiff(user),
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
      TE.map(() => user),
    );
  };
