import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import type { Repositories } from '../ports/transactor.js';
import { appendAudit } from './audit-entry.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, tryTransaction, whenAllowed, type Outcome } from './support.js';

/**
 * Ends the calling session: a session token is deleted; an access token is revoked. Audited as
 * `logout` of an `api_key` (docs/http-api.md#users-and-sessions, #bearer-tokens, #audit-log).
 */
export const makeLogout = (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) => {
  const endCredential = async (
    tx: Repositories,
    principal: Principal,
    meta: RequestMeta,
  ): Outcome<ApiError, void> => {
    const ended = await tryPort(() =>
      principal.kind === 'session'
        ? tx.apiKeys.delete(principal.apiKeyId)
        : tx.apiKeys.revoke(principal.apiKeyId, deps.clock.now()),
    );
    if (E.isLeft(ended)) return ended;
    const audit = appendAudit(tx, deps, meta);
    return audit(
      { action: 'logout', resourceType: 'api_key', resourceId: principal.apiKeyId },
      { actorId: principal.user.id, status: 204, diff: {} },
    );
  };

  const logout = (principal: Principal, meta: RequestMeta): Outcome<ApiError, void> =>
    whenAllowed(requireScope(SCOPE_ALL)(principal), () =>
      tryTransaction(deps.transactor, (tx) => endCredential(tx, principal, meta)),
    );

  return asTask(logout);
};
