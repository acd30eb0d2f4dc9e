import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { ApiKey } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import { CREDENTIAL_BYTES, issueCredential } from '../model/credential.js';
import type { ApiKeyId } from '../model/ids.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { LoginRequest, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { StoredUser } from '../ports/user-repository.js';
import { auditEntry } from './audit-entry.js';
import { fromPort, inTransaction } from './support.js';

export interface LoginSettings {
  readonly sessionTtlSeconds: number;
}

export interface Session {
  readonly token: string;
  readonly user: User;
  readonly expiresAt: Date;
}

export type LoginDeps = Pick<Ports, 'users' | 'passwords' | 'transactor' | 'clock' | 'random'>;

/** One message for a wrong email and a wrong password, so neither is revealed (docs/http-api.md#users-and-sessions). */
export const INVALID_LOGIN_MESSAGE = 'Incorrect email or password.';

/**
 * Checks the password in constant shape: an unknown email is verified against a fixed dummy hash
 * so that both failures cost one scrypt verification.
 */
const checkPassword =
  (deps: LoginDeps, password: string) =>
  (stored: StoredUser | undefined): TE.TaskEither<ApiError, User | undefined> =>
    pipe(
      fromPort(() => deps.passwords.verify(stored?.passwordHash ?? deps.passwords.dummyHash, password)),
      TE.map((ok) => (ok && stored !== undefined ? stored.user : undefined)),
    );

/**
 * Email and password to a session token with scope `all`, valid `sessionTtlSeconds` from now
 * (absolute). Every attempt, successful or not, is audited; a successful one in the same
 * transaction as the new session.
 *
 * @see docs/http-api.md#users-and-sessions, #audit-log
 */
export const makeLogin =
  (deps: LoginDeps, settings: LoginSettings) =>
  (input: LoginRequest, meta: RequestMeta): TE.TaskEither<ApiError, Session> => {
    const audit = auditEntry(deps, meta);
    const recordFailure = (stored: StoredUser | undefined): TE.TaskEither<ApiError, never> =>
      pipe(
        inTransaction(deps.transactor)((tx) =>
          fromPort(() =>
            tx.audit.append(
              audit({
                action: 'login',
                resourceType: 'user',
                resourceId: stored?.user.id ?? '',
                actorId: stored?.user.id,
                status: 401,
                diff: {},
              }),
            ),
          ),
        ),
        TE.flatMap(() => TE.left(ApiErrors.unauthorized('unknown', INVALID_LOGIN_MESSAGE))),
      );
    const startSession = (user: User): TE.TaskEither<ApiError, Session> => {
      const now = deps.clock.now();
      const credential = issueCredential('session', deps.random.bytes(CREDENTIAL_BYTES));
      const key: ApiKey = {
        id: deps.random.uuid() as ApiKeyId,
        kind: 'session',
        digest: credential.digest,
        userId: user.id,
        scopes: [SCOPE_ALL],
        createdAt: now,
        expiresAt: new Date(now.getTime() + settings.sessionTtlSeconds * 1000),
      };
      return pipe(
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.apiKeys.insert(key)),
            TE.flatMap(() =>
              fromPort(() =>
                tx.audit.append(
                  audit({
                    action: 'login',
                    resourceType: 'user',
                    resourceId: user.id,
                    actorId: user.id,
                    status: 201,
                    diff: {},
                  }),
                ),
              ),
            ),
          ),
        ),
        TE.map(() => ({ token: credential.token, user, expiresAt: key.expiresAt })),
      );
    };
    return pipe(
      fromPort(() => deps.users.findByEmail(input.email)),
      TE.flatMap((stored) =>
        pipe(
          checkPassword(deps, input.password)(stored),
          TE.flatMap((user) => (user === undefined ? recordFailure(stored) : startSession(user))),
        ),
      ),
    );
  };
