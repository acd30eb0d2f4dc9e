import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import type { ApiKeyId } from '../model/ids.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import type { Repositories } from '../ports/transactor.js';
import { appendAudit } from './audit-entry.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, tryTransaction, whenAllowed, type Outcome } from './support.js';

const sessionNotFound = (): ApiError => ApiErrors.notFound('Session not found.');

/**
 * The signed-in user ends one of their other sessions (signing out ends the current one);
 * audited as a `logout` of that `api_key` (docs/http-api.md#web-console, #audit-log). Another
 * user's session, an access token, and the calling session are all 404 here.
 */
export const makeEndSession = (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) => {
  const end = async (
    tx: Repositories,
    principal: Principal,
    id: ApiKeyId,
    meta: RequestMeta,
  ): Outcome<ApiError, void> => {
    const deleted = await tryPort(() => tx.apiKeys.deleteSessions(principal.user.id, { only: id }));
    if (E.isLeft(deleted)) return deleted;
    if (deleted.right === 0) return E.left(sessionNotFound());
    const audit = appendAudit(tx, deps, meta);
    return audit(
      { action: 'logout', resourceType: 'api_key', resourceId: id },
      { actorId: principal.user.id, status: 204, diff: {} },
    );
  };

  const endSession = (principal: Principal, id: ApiKeyId, meta: RequestMeta): Outcome<ApiError, void> =>
    whenAllowed(requireScope(SCOPE_ALL)(principal), () =>
      id.toLowerCase() === principal.apiKeyId.toLowerCase()
        ? Promise.resolve(E.left(sessionNotFound()))
        : tryTransaction(deps.transactor, (tx) => end(tx, principal, id, meta)),
    );

  return asTask(endSession);
};
