import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { oauthError, type OAuthError } from '../errors/oauth-error.js';
import { isStorageUnavailable } from '../errors/storage-error.js';
import type { Repositories, Transactor } from '../ports/transactor.js';

/** A port failure becomes a 503 when the database is down, else a 500 (cause logged, not sent). */
export const portFailure = (error: unknown): ApiError =>
  isStorageUnavailable(error) ? ApiErrors.unavailable(error) : ApiErrors.internal(error);

/** Calls a port without letting a rejection escape the `TaskEither`. */
export const fromPort = <A>(call: () => Promise<A>): TE.TaskEither<ApiError, A> =>
  TE.tryCatch(call, portFailure);

/**
 * `fromPort` for use cases written as `async` code over `Either`: the same failure mapping, with
 * no `TaskEither` combinators on the way (the hot request paths use this).
 */
export const tryPort = async <A>(call: () => Promise<A>): Promise<E.Either<ApiError, A>> => {
  try {
    return E.right(await call());
  } catch (error) {
    return E.left(portFailure(error));
  }
};

/** Runs `work` in one transaction (rolled back on `Left`). */
export const inTransaction =
  (transactor: Transactor) =>
  <A>(work: (repositories: Repositories) => TE.TaskEither<ApiError, A>): TE.TaskEither<ApiError, A> =>
    pipe(
      TE.tryCatch(() => transactor.run(work), portFailure),
      TE.flatMap(TE.fromEither),
    );

/**
 * `inTransaction` for use cases written as `async` code over `Either`: commits on `Right`, rolls
 * back on `Left`; a failure of the transaction itself is mapped like any port failure.
 */
export const tryTransaction = async <A>(
  transactor: Transactor,
  work: (repositories: Repositories) => Promise<E.Either<ApiError, A>>,
): Promise<E.Either<ApiError, A>> => {
  try {
    return await transactor.run((repositories) => () => work(repositories));
  } catch (error) {
    return E.left(portFailure(error));
  }
};

/** Lifts a pure decision into a use-case pipeline. */
export const decide = <A>(decision: E.Either<ApiError, A>): TE.TaskEither<ApiError, A> =>
  TE.fromEither(decision);

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

export const fromPortOAuth = <A>(call: () => Promise<A>): TE.TaskEither<OAuthError, A> =>
  TE.tryCatch(call, oauthPortFailure);

/** `fromPortOAuth` for use cases written as `async` code over `Either` (see `tryPort`). */
export const tryPortOAuth = async <A>(call: () => Promise<A>): Promise<E.Either<OAuthError, A>> => {
  try {
    return E.right(await call());
  } catch (error) {
    return E.left(oauthPortFailure(error));
  }
};

/** Runs `work` in one transaction, for use cases that answer with OAuth errors. */
export const inOAuthTransaction =
  (transactor: Transactor) =>
  <A>(work: (repositories: Repositories) => TE.TaskEither<OAuthError, A>): TE.TaskEither<OAuthError, A> =>
    pipe(
      TE.tryCatch(() => transactor.run(work), oauthPortFailure),
      TE.flatMap(TE.fromEither),
    );
