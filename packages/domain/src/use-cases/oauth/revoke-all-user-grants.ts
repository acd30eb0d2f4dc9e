import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../../errors/api-error.js';
import type { Principal } from '../../model/api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import { SCOPE_ALL } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appendAudit } from '../audit-entry.js';
import { requireScope } from '../policy.js';
import { asTask, tryPort, tryTransaction, whenAllowed, type Outcome } from '../support.js';

/** Clients revoked at once at most; a user authorizes few. */
const REVOKE_ALL_LIMIT = 500;

/**
 * The signed-in user revokes every grant of theirs, to every client, with all their codes and
 * tokens, in one transaction; audited per grant as `DELETE /oauth2/tokens` is
 * (docs/http-api.md#web-console, #revoke-all, #audit-log). Returns how many clients lost access.
 */
export const makeRevokeAllUserGrants = (deps: Pick<Ports, 'transactor' | 'clock' | 'random'>) => {
  const revokeEvery = async (
    tx: Repositories,
    principal: Principal,
    meta: RequestMeta,
  ): Outcome<ApiError, number> => {
    const now = deps.clock.now();
    const clients = await tryPort(() =>
      tx.clients.listGrantedTo(principal.user.id, now, { limit: REVOKE_ALL_LIMIT, offset: 0 }),
    );
    if (E.isLeft(clients)) return clients;
    const audit = appendAudit(tx, deps, meta);
    for (const client of clients.right) {
      const grantIds = await tryPort(() =>
        tx.grants.revokeForUserAndClient(principal.user.id, client.id, now),
      );
      if (E.isLeft(grantIds)) return grantIds;
      for (const grantId of grantIds.right) {
        const logged = await audit(
          { action: 'revoke', resourceType: 'oauth2_grant', resourceId: grantId },
          { actorId: principal.user.id, status: 204, diff: { client_id: { old: client.id } } },
        );
        if (E.isLeft(logged)) return logged;
      }
    }
    return E.right(clients.right.length);
  };

  const revokeAll = (principal: Principal, meta: RequestMeta): Outcome<ApiError, number> =>
    whenAllowed(requireScope(SCOPE_ALL)(principal), () =>
      tryTransaction(deps.transactor, (tx) => revokeEvery(tx, principal, meta)),
    );

  return asTask(revokeAll);
};
