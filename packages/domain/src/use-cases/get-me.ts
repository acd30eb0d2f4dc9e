import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import { SCOPE_USER_READ } from '../model/scope.js';
import type { User } from '../model/user.js';
import { requireScope } from './policy.js';

const requireUserRead = requireScope(SCOPE_USER_READ);
const userOf = (principal: Principal): User => principal.user;

/** The authenticated user; needs `user:read` (docs/http-api.md#bearer-tokens). */
export const makeGetMe =
  () =>
  (principal: Principal): TE.TaskEither<ApiError, User> =>
  () =>
    Promise.resolve(E.map(userOf)(requireUserRead(principal)));
