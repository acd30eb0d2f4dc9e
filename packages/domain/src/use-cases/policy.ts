import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import { SCOPE_ALL, scopeSatisfies } from '../model/scope.js';

/** A credential without the scope a route needs gets 403 `insufficient_scope` (docs/http-api.md#bearer-tokens). */
export const requireScope =
  (scope: string) =>
  (principal: Principal): E.Either<ApiError, Principal> =>
    scopeSatisfies(principal.scopes, scope) ? E.right(principal) : E.left(ApiErrors.insufficientScope(scope));

/** Owner-only routes need scope `all` and the owner role; a role failure is a plain 403. */
export const requireOwner = (principal: Principal): E.Either<ApiError, Principal> =>
  E.flatMap(requireScope(SCOPE_ALL)(principal), (p) =>
    p.user.role === 'owner' ? E.right(p) : E.left(ApiErrors.forbidden('Only an owner can do this.')),
  );
