import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../../errors/api-error.js';
import { isClientIdUrl } from '../../model/client-metadata-document.js';
import type { Principal } from '../../model/api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import { publicClientId, type ClientId, type OAuthClient } from '../../model/client.js';
import { SCOPE_ALL } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appNotFound } from '../apps/app-rules.js';
import { loadClient } from '../apps/manage-apps.js';
import { appendAudit } from '../audit-entry.js';
import { requireScope } from '../policy.js';
import { asTask, tryPort, tryTransaction, type Outcome } from '../support.js';

/**
 * `DELETE /oauth2/tokens?client_id=`: the signed-in user revokes every grant of theirs to one
 * client, with all its codes and tokens; audited per grant (docs/http-api.md#revoke-all, #audit-log).
 */
export const makeRevokeUserGrantsForClient = (
  deps: Pick<Ports, 'clients' | 'transactor' | 'clock' | 'random'>,
) => {
  const revokeAll = async (
    tx: Repositories,
    principal: Principal,
    client: OAuthClient,
    meta: RequestMeta,
    status: number,
  ): Outcome<ApiError, void> => {
    const grantIds = await tryPort(() =>
      tx.grants.revokeForUserAndClient(principal.user.id, client.id, deps.clock.now()),
    );
    if (E.isLeft(grantIds)) return grantIds;
    for (const grantId of grantIds.right) {
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'revoke', resourceType: 'oauth2_grant', resourceId: grantId },
        { actorId: principal.user.id, status, diff: { client_id: { old: publicClientId(client) } } },
      );
      if (E.isLeft(logged)) return logged;
    }
    return E.right(undefined);
  };

  /** A metadata document client by its URL, as stored: nothing is fetched to revoke. */
  const loadMetadataDocumentClient = async (url: string): Outcome<ApiError, OAuthClient> => {
    const found = await tryPort(() => deps.clients.findByMetadataDocumentUrl(url));
    if (E.isLeft(found)) return found;
    return found.right === undefined ? E.left(appNotFound()) : E.right(found.right);
  };

  /**
   * `clientId`: an app's id, or a metadata document client's URL
   * (docs/http-api.md#client-id-metadata-documents). Answers the id of the client revoked.
   */
  const revoke = async (
    principal: Principal,
    clientId: ClientId | string,
    meta: RequestMeta,
    requiredScope = SCOPE_ALL,
  ): Outcome<ApiError, ClientId> => {
    // `all` at DELETE /oauth2/tokens; the MCP tool asks for `mcp` (docs/http-api.md#bearer-tokens, #mcp).
    const allowed = requireScope(requiredScope)(principal);
    if (E.isLeft(allowed)) return allowed;
    const client = isClientIdUrl(clientId)
      ? await loadMetadataDocumentClient(clientId)
      : await loadClient(deps, clientId as ClientId);
    if (E.isLeft(client)) return client;
    const status = requiredScope === SCOPE_ALL ? 204 : 200;
    const revoked = await tryTransaction(deps.transactor, (tx) =>
      revokeAll(tx, principal, client.right, meta, status),
    );
    return E.map(() => client.right.id)(revoked);
  };

  return asTask(revoke);
};
