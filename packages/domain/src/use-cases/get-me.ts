import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import { SCOPE_USER_READ } from '../model/scope.js';
import type { User } from '../model/user.js';
import { requireScope } from './policy.js';

const requireUserRead = requireScope(SCOPE_USER_READ);

/** The authenticated user; needs `user:read` (docs/http-api.md#bearer-tokens). */
export const makeGetMe = () => {
  const getMe = (principal: Principal): E.Either<ApiError, User> => {
    const allowed = requireUserRead(principal);
    return E.isLeft(allowed) ? allowed : E.right(principal.user);
  };
  return (principal: Principal): TE.TaskEither<ApiError, User> =>
    () =>
      Promise.resolve(getMe(principal));
};
