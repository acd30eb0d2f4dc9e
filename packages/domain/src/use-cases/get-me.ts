import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import { SCOPE_USER_READ } from '../model/scope.js';
import type { User } from '../model/user.js';
import { requireScope } from './policy.js';
import { asTask, type Outcome } from './support.js';

const requireUserRead = requireScope(SCOPE_USER_READ);

/** The authenticated user; needs `user:read` (docs/http-api.md#bearer-tokens). */
export const makeGetMe = () => {
  const getMe = (principal: Principal): Outcome<ApiError, User> =>
    Promise.resolve(E.map(() => principal.user)(requireUserRead(principal)));
  return asTask(getMe);
};
