import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { Page } from '../ports/user-repository.js';
import { requireOwner } from './policy.js';
import { decide, fromPort } from './support.js';

/** Owners list users, oldest first. @see docs/http-api.md#users-and-sessions */
export const makeListUsers =
  (deps: Pick<Ports, 'users'>) =>
  (principal: Principal, page: Page): TE.TaskEither<ApiError, User[]> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() => fromPort(() => deps.users.list(page))),
    );
