import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { RequestMeta } from '../model/audit.js';
import { digestsEqual } from '../model/credential.js';
import type { NewFirstUser, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import { alreadySetUp, buildUser, insertUserAudited, type CreateUserDeps } from './create-user.js';
import { asTask, tryPort, tryTransaction, type Outcome } from './support.js';

export interface CreateFirstUserSettings {
  /** When set, creating the first user requires it (docs/http-api.md#users-and-sessions). */
  readonly setupToken?: string | undefined;
}

const checkSetupToken = (
  settings: CreateFirstUserSettings,
  presented: string | undefined,
): E.Either<ApiError, void> =>
  settings.setupToken === undefined ||
  (presented !== undefined && digestsEqual(presented, settings.setupToken))
    ? E.right(undefined)
    : E.left(ApiErrors.forbidden('A valid setup token is required.'));

/**
 * Creates the first user, an owner. Of concurrent callers exactly one succeeds; the others get 409
 * (the repository serialises `insertFirst`).
 *
 * @see docs/http-api.md#users-and-sessions
 */
export const makeCreateFirstUser = (
  deps: CreateUserDeps & Pick<Ports, 'users'>,
  settings: CreateFirstUserSettings,
) => {
  const create = async (
    input: NewFirstUser,
    setupToken: string | undefined,
    meta: RequestMeta,
  ): Outcome<ApiError, User> => {
    const user = buildUser(deps, input, 'owner');
    const allowed = checkSetupToken(settings, setupToken);
    if (E.isLeft(allowed)) return allowed;
    // Cheap early answer so that a set-up server does not spend a scrypt hash per request.
    const exists = await tryPort(() => deps.users.any());
    if (E.isLeft(exists)) return exists;
    if (exists.right) return E.left(alreadySetUp());
    const hash = await tryPort(() => deps.passwords.hash(input.password));
    if (E.isLeft(hash)) return hash;
    const stored = await tryTransaction(deps.transactor, (tx) =>
      insertUserAudited(tx, deps, meta, user, user.id, () => tx.users.insertFirst(user, hash.right)),
    );
    return E.isLeft(stored) ? stored : E.right(user);
  };
  return asTask(create);
};

/** Whether `/setup` should still be offered. */
export const makeNeedsSetup = (deps: Pick<Ports, 'users'>) => {
  const needsSetup = async (): Outcome<ApiError, boolean> => {
    const exists = await tryPort(() => deps.users.any());
    return E.isLeft(exists) ? exists : E.right(!exists.right);
  };
  return asTask(needsSetup);
};
