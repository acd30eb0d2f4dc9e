import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { newApiKey } from './new-api-key.js';
import type { RequestMeta } from '../model/audit.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { LoginRequest, User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import type { Repositories } from '../ports/transactor.js';
import type { StoredUser } from '../ports/user-repository.js';
import { appendAudit } from './audit-entry.js';
import { asTask, tryPort, tryTransaction, type Outcome } from './support.js';

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
const checkPassword = async (
  deps: LoginDeps,
  password: string,
  stored: StoredUser | undefined,
): Outcome<ApiError, User | undefined> => {
  const ok = await tryPort(() =>
    deps.passwords.verify(stored?.passwordHash ?? deps.passwords.dummyHash, password),
  );
  if (E.isLeft(ok)) return ok;
  return E.right(ok.right && stored !== undefined ? stored.user : undefined);
};

/**
 * Email and password to a session token with scope `all`, valid `sessionTtlSeconds` from now
 * (absolute). Every attempt, successful or not, is audited; a successful one in the same
 * transaction as the new session.
 *
 * @see docs/http-api.md#users-and-sessions, #audit-log
 */
export const makeLogin = (deps: LoginDeps, settings: LoginSettings) => {
  const recordFailure = async (
    stored: StoredUser | undefined,
    meta: RequestMeta,
  ): Outcome<ApiError, never> => {
    const logged = await tryTransaction(deps.transactor, (tx) => {
      const audit = appendAudit(tx, deps, meta);
      return audit(
        { action: 'login', resourceType: 'user', resourceId: stored?.user.id ?? '' },
        { actorId: stored?.user.id, status: 401, diff: {} },
      );
    });
    return E.isLeft(logged) ? logged : E.left(ApiErrors.unauthorized('unknown', INVALID_LOGIN_MESSAGE));
  };

  const startSession = (user: User, meta: RequestMeta): Outcome<ApiError, Session> => {
    const now = deps.clock.now();
    const { key, token } = newApiKey(deps.random, 'session', {
      userId: user.id,
      scopes: [SCOPE_ALL],
      createdAt: now,
      expiresAt: new Date(now.getTime() + settings.sessionTtlSeconds * 1000),
      userAgent: meta.userAgent,
      ip: meta.ip,
      lastUsedAt: now,
    });

    /** The session stored and the login audited, in one transaction. */
    const insertSession = async (tx: Repositories): Outcome<ApiError, Session> => {
      const inserted = await tryPort(() => tx.apiKeys.insert(key));
      if (E.isLeft(inserted)) return inserted;
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'login', resourceType: 'user', resourceId: user.id },
        { actorId: user.id, status: 201, diff: {} },
      );
      return E.isLeft(logged) ? logged : E.right({ token, user, expiresAt: key.expiresAt });
    };

    return tryTransaction(deps.transactor, insertSession);
  };

  const login = async (input: LoginRequest, meta: RequestMeta): Outcome<ApiError, Session> => {
    const stored = await tryPort(() => deps.users.findByEmail(input.email));
    if (E.isLeft(stored)) return stored;
    const user = await checkPassword(deps, input.password, stored.right);
    if (E.isLeft(user)) return user;
    return user.right === undefined ? recordFailure(stored.right, meta) : startSession(user.right, meta);
  };

  return asTask(login);
};
