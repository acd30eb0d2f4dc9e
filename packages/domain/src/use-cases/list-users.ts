import type { ApiError } from '../errors/api-error.js';
import type { Actor } from '../model/api-key.js';
import type { User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { Page } from '../ports/user-repository.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** Owners (and the system) list users, oldest first. @see docs/http-api.md#users-and-sessions */
export const makeListUsers = (deps: Pick<Ports, 'users'>) => {
  const list = (actor: Actor, page: Page): Outcome<ApiError, User[]> =>
    whenAllowed(requireOwner(actor), () => tryPort(() => deps.users.list(page)));
  return asTask(list);
};
