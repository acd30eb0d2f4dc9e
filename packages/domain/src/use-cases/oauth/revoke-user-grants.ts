import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../../errors/api-error.js';
import type { Principal } from '../../model/api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import type { ClientId } from '../../model/client.js';
import { SCOPE_ALL } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import { loadClient } from '../apps/manage-apps.js';
import { auditEntry } from '../audit-entry.js';
import { requireScope } from '../policy.js';
import { decide, fromPort, inTransaction } from '../support.js';

/**
 * `DELETE /oauth2/tokens?client_id=`: the signed-in user revokes every grant of theirs to one
 * client, with all its codes and tokens; audited per grant (docs/http-api.md#revoke-all, #audit-log).
 */
export const makeRevokeUserGrantsForClient =
  (deps: Pick<Ports, 'clients' | 'transactor' | 'clock' | 'random'>) =>
  (
    principal: Principal,
    clientId: ClientId,
    meta: RequestMeta,
    requiredScope = SCOPE_ALL,
  ): TE.TaskEither<ApiError, void> =>
    pipe(
      // `all` at DELETE /oauth2/tokens; the MCP tool asks for `mcp` (docs/http-api.md#bearer-tokens, #mcp).
      decide(requireScope(requiredScope)(principal)),
      TE.flatMap(() => loadClient(deps)(clientId)),
      TE.flatMap((client) =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.grants.revokeForUserAndClient(principal.user.id, client.id, deps.clock.now())),
            TE.flatMap((grantIds) =>
              fromPort(async () => {
                for (const grantId of grantIds) {
                  await tx.audit.append(
                    auditEntry(
                      deps,
                      meta,
                    )({
                      action: 'revoke',
                      resourceType: 'oauth2_grant',
                      resourceId: grantId,
                      actorId: principal.user.id,
                      status: requiredScope === SCOPE_ALL ? 204 : 200,
                      diff: { client_id: { old: client.id } },
                    }),
                  );
                }
              }),
            ),
          ),
        ),
      ),
    );
