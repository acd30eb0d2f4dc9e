import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { isSystemActor, type Actor } from '../model/api-key.js';
import { SCOPE_ALL, scopeSatisfies } from '../model/scope.js';

/** The system (docs/cli.md#authorisation-and-audit) holds every scope and every role. */
const hasScope = (actor: Actor, scope: string): boolean =>
  isSystemActor(actor) || scopeSatisfies(actor.scopes, scope);
const isOwner = (actor: Actor): boolean => isSystemActor(actor) || actor.user.role === 'owner';

/** A credential without the scope a route needs gets 403 `insufficient_scope` (docs/http-api.md#bearer-tokens). */
export const requireScope =
  (scope: string) =>
  <A extends Actor>(actor: A): E.Either<ApiError, A> =>
    hasScope(actor, scope) ? E.right(actor) : E.left(ApiErrors.insufficientScope(scope));

/** Owner-only routes need scope `all` and the owner role; a role failure is a plain 403. */
export const requireOwner = <A extends Actor>(actor: A): E.Either<ApiError, A> =>
  E.flatMap(requireScope(SCOPE_ALL)(actor), (a) =>
    isOwner(a) ? E.right(a) : E.left(ApiErrors.forbidden('Only an owner can do this.')),
  );
