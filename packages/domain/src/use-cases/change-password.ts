import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import { REDACTED } from '../model/audit.js';
import { Password } from '../model/user.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import type { Repositories } from '../ports/transactor.js';
import { appendAudit } from './audit-entry.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, tryTransaction, type Outcome } from './support.js';

/** The console's change-password form: the current password is not length-checked (no hints). */
export const PasswordChange = t.type({ currentPassword: t.string, newPassword: Password });
export type PasswordChange = t.TypeOf<typeof PasswordChange>;

/** The one answer to a wrong current password; a validation of that field. */
export const WRONG_CURRENT_PASSWORD = 'is not your current password';

/**
 * The signed-in user replaces their password, given the current one; every other session of
 * theirs ends in the same transaction, and the change is audited as a `write` of the `user` with
 * the password redacted (docs/http-api.md#web-console, #audit-log). Returns how many sessions ended.
 */
export const makeChangePassword = (
  deps: Pick<Ports, 'users' | 'passwords' | 'transactor' | 'clock' | 'random'>,
) => {
  const replace = async (
    tx: Repositories,
    principal: Principal,
    hash: string,
    meta: RequestMeta,
  ): Outcome<ApiError, number> => {
    const userId = principal.user.id;
    const updated = await tryPort(() => tx.users.setPasswordHash(userId, hash));
    if (E.isLeft(updated)) return updated;
    if (!updated.right) return E.left(ApiErrors.notFound('User not found.'));
    const ended = await tryPort(() => tx.apiKeys.deleteSessions(userId, { except: principal.apiKeyId }));
    if (E.isLeft(ended)) return ended;
    const audit = appendAudit(tx, deps, meta);
    const logged = await audit(
      { action: 'write', resourceType: 'user', resourceId: userId },
      { actorId: userId, status: 200, diff: { password: { old: REDACTED, new: REDACTED } } },
    );
    return E.isLeft(logged) ? logged : E.right(ended.right);
  };

  const change = async (
    principal: Principal,
    input: PasswordChange,
    meta: RequestMeta,
  ): Outcome<ApiError, number> => {
    const allowed = requireScope(SCOPE_ALL)(principal);
    if (E.isLeft(allowed)) return allowed;
    const stored = await tryPort(() => deps.users.findByEmail(principal.user.email));
    if (E.isLeft(stored)) return stored;
    const hash = stored.right?.passwordHash ?? deps.passwords.dummyHash;
    const ok = await tryPort(() => deps.passwords.verify(hash, input.currentPassword));
    if (E.isLeft(ok)) return ok;
    if (!ok.right || stored.right === undefined)
      return E.left(
        ApiErrors.badRequest('The request body is invalid.', [
          { field: 'current_password', detail: WRONG_CURRENT_PASSWORD },
        ]),
      );
    const newHash = await tryPort(() => deps.passwords.hash(input.newPassword));
    if (E.isLeft(newHash)) return newHash;
    return tryTransaction(deps.transactor, (tx) => replace(tx, principal, newHash.right, meta));
  };

  return asTask(change);
};
