import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { RequestMeta } from '../model/audit.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import { auditEntry } from './audit-entry.js';
import { requireScope } from './policy.js';
import { decide, fromPort, inTransaction } from './support.js';

/**
 * Ends the calling session: a session token is deleted; an access token is revoked. Audited as
 * `logout` of an `api_key` (docs/http-api.md#users-and-sessions, #bearer-tokens, #audit-log).
 */
export const makeLogout =
  (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) =>
  (principal: Principal, meta: RequestMeta): TE.TaskEither<ApiError, void> => {
    const audit = auditEntry(deps, meta);
    return pipe(
      decide(requireScope(SCOPE_ALL)(principal)),
      TE.flatMap(() =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() =>
              principal.kind === 'session'
                ? tx.apiKeys.delete(principal.apiKeyId)
                : tx.apiKeys.revoke(principal.apiKeyId, deps.clock.now()),
            ),
            TE.flatMap(() =>
              fromPort(() =>
                tx.audit.append(
                  audit({
                    action: 'logout',
                    resourceType: 'api_key',
                    resourceId: principal.apiKeyId,
                    actorId: principal.user.id,
                    status: 204,
                    diff: {},
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
