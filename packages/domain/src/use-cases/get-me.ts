import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import { SCOPE_USER_READ } from '../model/scope.js';
import type { User } from '../model/user.js';
import { requireScope } from './policy.js';
import { decide } from './support.js';

/** The authenticated user; needs `user:read` (CONTRACT §8). */
export const makeGetMe =
  () =>
  (principal: Principal): TE.TaskEither<ApiError, User> =>
    pipe(
      decide(requireScope(SCOPE_USER_READ)(principal)),
      TE.map((p) => p.user),
    );
