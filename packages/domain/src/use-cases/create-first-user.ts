import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { RequestMeta } from '../model/audit.js';
import { digestsEqual } from '../model/credential.js';
import type { NewFirstUser, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import { auditEntry } from './audit-entry.js';
import { buildUser, insertOutcome, type CreateUserDeps } from './create-user.js';
import { fromPort, inTransaction } from './support.js';
import { userAuditDiff } from './user-record.js';

export interface CreateFirstUserSettings {
  /** When set, creating the first user requires it (docs/http-api.md#users-and-sessions). */
  readonly setupToken?: string | undefined;
}

const alreadySetUp = (): ApiError => ApiErrors.conflict('The first user has already been created.');

const checkSetupToken = (
  settings: CreateFirstUserSettings,
  presented: string | undefined,
): TE.TaskEither<ApiError, void> =>
  settings.setupToken === undefined ||
  (presented !== undefined && digestsEqual(presented, settings.setupToken))
    ? TE.right(undefined)
    : TE.left(ApiErrors.forbidden('A valid setup token is required.'));

/**
 * Creates the first user, an owner. Of concurrent callers exactly one succeeds; the others get 409
 * (the repository serialises `insertFirst`).
 *
 * @see docs/http-api.md#users-and-sessions
 */
export const makeCreateFirstUser =
  (deps: CreateUserDeps & Pick<Ports, 'users'>, settings: CreateFirstUserSettings) =>
  (input: NewFirstUser, setupToken: string | undefined, meta: RequestMeta): TE.TaskEither<ApiError, User> => {
    const user = buildUser(deps, input, 'owner');
    const audit = auditEntry(deps, meta);
    return pipe(
      checkSetupToken(settings, setupToken),
      // Cheap early answer so that a set-up server does not spend a scrypt hash per request.
      TE.flatMap(() => fromPort(() => deps.users.any())),
      TE.flatMap((exists) => (exists ? TE.left(alreadySetUp()) : TE.right(undefined))),
      TE.flatMap(() => fromPort(() => deps.passwords.hash(input.password))),
      TE.flatMap((hash) =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.users.insertFirst(user, hash)),
            TE.flatMap((result) =>
              result === 'not_first' ? TE.left(alreadySetUp()) : insertOutcome(result),
            ),
            TE.tap(() =>
              fromPort(() =>
                tx.audit.append(
                  audit({
                    action: 'create',
                    resourceType: 'user',
                    resourceId: user.id,
                    actorId: user.id,
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

/** Whether `/setup` should still be offered. */
export const makeNeedsSetup = (deps: Pick<Ports, 'users'>) => (): TE.TaskEither<ApiError, boolean> =>
  pipe(
    fromPort(() => deps.users.any()),
    TE.map((exists) => !exists),
  );
