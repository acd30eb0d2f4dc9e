import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { Actor } from '../model/api-key.js';
import type { UserId } from '../model/ids.js';
import type { Email, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

const userNotFound = (): ApiError => ApiErrors.notFound('User not found.');

/** Loads a user or fails with 404. */
export const loadUser = async (deps: Pick<Ports, 'users'>, id: UserId): Outcome<ApiError, User> => {
  const found = await tryPort(() => deps.users.findById(id.toLowerCase() as UserId));
  if (E.isLeft(found)) return found;
  return found.right === undefined ? E.left(userNotFound()) : E.right(found.right);
};

/** A user named by id or by email (compared without regard to case, docs/http-api.md#users-and-sessions). */
export type UserRef = { readonly id: UserId } | { readonly email: Email };

const loadByEmail = async (deps: Pick<Ports, 'users'>, email: Email): Outcome<ApiError, User> => {
  const found = await tryPort(() => deps.users.findByEmail(email));
  if (E.isLeft(found)) return found;
  // The password hash stays here.
  return found.right === undefined ? E.left(userNotFound()) : E.right(found.right.user);
};

/** Owners (and the system, docs/cli.md#authorisation-and-audit) look a user up; 404 when there is none. */
export const makeFindUser = (deps: Pick<Ports, 'users'>) => {
  const find = (actor: Actor, ref: UserRef): Outcome<ApiError, User> =>
    whenAllowed(requireOwner(actor), () =>
      'id' in ref ? loadUser(deps, ref.id) : loadByEmail(deps, ref.email),
    );
  return asTask(find);
};
