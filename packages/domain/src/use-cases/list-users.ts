import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { Page } from '../ports/user-repository.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** Owners list users, oldest first. @see docs/http-api.md#users-and-sessions */
export const makeListUsers = (deps: Pick<Ports, 'users'>) => {
  const list = (principal: Principal, page: Page): Outcome<ApiError, User[]> =>
    whenAllowed(requireOwner(principal), () => tryPort(() => deps.users.list(page)));
  return asTask(list);
};
