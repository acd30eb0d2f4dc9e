import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../../errors/api-error.js';
import { actorUserId, type Actor, type Principal } from '../../model/api-key.js';
import type { AuditDiff, RequestMeta } from '../../model/audit.js';
import { isClientIdUrl } from '../../model/client-metadata-document.js';
import { publicClientId, type ClientId, type OAuthClient } from '../../model/client.js';
import type { GrantId } from '../../model/grant.js';
import type { UserId } from '../../model/ids.js';
import { SCOPE_ALL } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appNotFound } from '../apps/app-rules.js';
import { loadClient } from '../apps/manage-apps.js';
import { appendAudit } from '../audit-entry.js';
import { loadUser } from '../find-user.js';
import { requireOwner, requireScope } from '../policy.js';
import { asTask, tryPort, tryTransaction, type Outcome } from '../support.js';

type RevokeDeps = Pick<Ports, 'clients' | 'transactor' | 'clock' | 'random'>;

/** Whose grants are revoked, who revokes them, and how the revocation is audited. */
interface Revocation {
  readonly userId: UserId;
  readonly actorId: UserId | undefined;
  readonly client: OAuthClient;
  readonly status: number;
  readonly diff: AuditDiff;
}

/** A metadata document client by its URL, as stored: nothing is fetched to revoke. */
const loadMetadataDocumentClient = async (deps: RevokeDeps, url: string): Outcome<ApiError, OAuthClient> => {
  const found = await tryPort(() => deps.clients.findByMetadataDocumentUrl(url));
  if (E.isLeft(found)) return found;
  return found.right === undefined ? E.left(appNotFound()) : E.right(found.right);
};

/** `clientId`: an app's id, or a metadata document client's URL (docs/http-api.md#client-id-metadata-documents). */
const loadRevocable = (deps: RevokeDeps, clientId: ClientId | string): Outcome<ApiError, OAuthClient> =>
  isClientIdUrl(clientId)
    ? loadMetadataDocumentClient(deps, clientId)
    : loadClient(deps, clientId as ClientId);

/** Every live grant of the user for the client revoked, with its codes and tokens; audited per grant. */
const revokeAll =
  (deps: RevokeDeps, meta: RequestMeta, revocation: Revocation) =>
  async (tx: Repositories): Outcome<ApiError, GrantId[]> => {
    const { userId, actorId, client, status, diff } = revocation;
    const grantIds = await tryPort(() =>
      tx.grants.revokeForUserAndClient(userId, client.id, deps.clock.now()),
    );
    if (E.isLeft(grantIds)) return grantIds;
    for (const grantId of grantIds.right) {
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'revoke', resourceType: 'oauth2_grant', resourceId: grantId },
        { actorId, status, diff },
      );
      if (E.isLeft(logged)) return logged;
    }
    return grantIds;
  };

/**
 * `DELETE /oauth2/tokens?client_id=`: the signed-in user revokes every grant of theirs to one
 * client, with all its codes and tokens; audited per grant (docs/http-api.md#revoke-all, #audit-log).
 */
export const makeRevokeUserGrantsForClient = (deps: RevokeDeps) => {
  /** Answers the id of the client revoked. */
  const revoke = async (
    principal: Principal,
    clientId: ClientId | string,
    meta: RequestMeta,
    requiredScope = SCOPE_ALL,
  ): Outcome<ApiError, ClientId> => {
    // `all` at DELETE /oauth2/tokens; the MCP tool asks for `mcp` (docs/http-api.md#bearer-tokens, #mcp).
    const allowed = requireScope(requiredScope)(principal);
    if (E.isLeft(allowed)) return allowed;
    const client = await loadRevocable(deps, clientId);
    if (E.isLeft(client)) return client;
    const revoked = await tryTransaction(
      deps.transactor,
      revokeAll(deps, meta, {
        userId: principal.user.id,
        actorId: principal.user.id,
        client: client.right,
        status: requiredScope === SCOPE_ALL ? 204 : 200,
        diff: { client_id: { old: publicClientId(client.right) } },
      }),
    );
    return E.isLeft(revoked) ? revoked : E.right(client.right.id);
  };

  return asTask(revoke);
};

/**
 * An owner, or the system (docs/cli.md#grants-revoke), revokes every grant one user holds for one
 * client, with all its codes and tokens, as that user could themselves (docs/http-api.md#revoke-all).
 * Audited per grant, naming the user in the diff since the actor is someone else. Answers the
 * revoked grants (none when the user had none); 404 for an unknown user or client.
 */
export const makeRevokeGrantsOfUser = (deps: RevokeDeps & Pick<Ports, 'users'>) => {
  const revoke = async (
    actor: Actor,
    userId: UserId,
    clientId: ClientId | string,
    meta: RequestMeta,
  ): Outcome<ApiError, GrantId[]> => {
    const allowed = requireOwner(actor);
    if (E.isLeft(allowed)) return allowed;
    const user = await loadUser(deps, userId);
    if (E.isLeft(user)) return user;
    const client = await loadRevocable(deps, clientId);
    if (E.isLeft(client)) return client;
    return tryTransaction(
      deps.transactor,
      revokeAll(deps, meta, {
        userId: user.right.id,
        actorId: actorUserId(actor),
        client: client.right,
        status: 204,
        diff: { client_id: { old: publicClientId(client.right) }, user_id: { old: user.right.id } },
      }),
    );
  };

  return asTask(revoke);
};
