import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { oauthError, type OAuthError } from '../errors/oauth-error.js';
import { isStorageUnavailable } from '../errors/storage-error.js';
import type { Repositories, Transactor } from '../ports/transactor.js';

/**
 * What every use-case step returns: plain `async` code over `Either`, no `TaskEither` combinators
 * on the way. A use case hands the last one out as a `TaskEither` (a thunk over it).
 */
export type Outcome<L, A> = Promise<E.Either<L, A>>;

/**
 * A use case as transports call it: the same arguments, answered by a `TaskEither` (a thunk over
 * `run`), so that an adapter runs it when it chooses.
 */
export const asTask =
  <Args extends unknown[], L, A>(run: (...args: Args) => Outcome<L, A>) =>
  (...args: Args): TE.TaskEither<L, A> =>
  () =>
    run(...args);

/** `next()` once a pure check (a policy, a decoded input) has passed; a failed check is the answer. */
export const whenAllowed = <L, A>(check: E.Either<L, unknown>, next: () => Outcome<L, A>): Outcome<L, A> =>
  E.isLeft(check) ? Promise.resolve(check) : next();

/** A port failure becomes a 503 when the database is down, else a 500 (cause logged, not sent). */
export const portFailure = (error: unknown): ApiError =>
  isStorageUnavailable(error) ? ApiErrors.unavailable(error) : ApiErrors.internal(error);

/**
 * The OAuth flavour of `portFailure`: a database outage is `temporarily_unavailable` with 503,
 * anything else `server_error` (RFC 6749 §5.2); the cause is logged, never sent.
 */
export const oauthPortFailure = (error: unknown): OAuthError =>
  isStorageUnavailable(error)
    ? oauthError('temporarily_unavailable', 'The service is temporarily unavailable.', {
        status: 503,
        cause: error,
      })
    : oauthError('server_error', 'An internal error occurred.', { cause: error });

/**
 * Calls a port without letting a rejection escape: a rejection becomes `Left(onFailure(error))`,
 * an API error (`portFailure`) unless the caller answers in another format (`oauthPortFailure`).
 */
export function tryPort<A>(call: () => Promise<A>): Outcome<ApiError, A>;
export function tryPort<L, A>(call: () => Promise<A>, onFailure: (error: unknown) => L): Outcome<L, A>;
export async function tryPort<A>(
  call: () => Promise<A>,
  onFailure: (error: unknown) => unknown = portFailure,
): Outcome<unknown, A> {
  try {
    return E.right(await call());
  } catch (error) {
    return E.left(onFailure(error));
  }
}

/**
 * Runs `work` in one transaction: commits on `Right`, rolls back on `Left`; a failure of the
 * transaction itself is mapped by `onFailure` like any port failure.
 */
export function tryTransaction<A>(
  transactor: Transactor,
  work: (repositories: Repositories) => Outcome<ApiError, A>,
): Outcome<ApiError, A>;
export function tryTransaction<L, A>(
  transactor: Transactor,
  work: (repositories: Repositories) => Outcome<L, A>,
  onFailure: (error: unknown) => L,
): Outcome<L, A>;
export async function tryTransaction<A>(
  transactor: Transactor,
  work: (repositories: Repositories) => Outcome<unknown, A>,
  onFailure: (error: unknown) => unknown = portFailure,
): Outcome<unknown, A> {
  try {
    return await transactor.run((repositories) => () => work(repositories));
  } catch (error) {
    return E.left(onFailure(error));
  }
}
