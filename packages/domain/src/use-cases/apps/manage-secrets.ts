import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../../errors/api-error.js';
import { actorUserId, type Actor } from '../../model/api-key.js';
import type { AuditDiff, RequestMeta } from '../../model/audit.js';
import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../../model/client.js';
import { CREDENTIAL_BYTES, issueCredential, truncateSecret } from '../../model/credential.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appendAudit } from '../audit-entry.js';
import { requireOwner } from '../policy.js';
import { asTask, tryPort, tryTransaction, whenAllowed, type Outcome } from '../support.js';
import { appNotFound } from './app-rules.js';
import { loadOwnerManaged } from './manage-apps.js';

type SecretDeps = Pick<Ports, 'clients' | 'clientSecrets' | 'transactor' | 'clock' | 'random'>;

export interface IssuedClientSecret {
  readonly secret: ClientSecret;
  /** The full secret: returned once, never stored. */
  readonly token: string;
}

const secretNotFound = (): ApiError => ApiErrors.notFound('Client secret not found.');

/** Public clients authenticate with PKCE alone; a secret would be neither kept nor checked. */
const requireConfidential = (client: OAuthClient): E.Either<ApiError, OAuthClient> =>
  client.clientType === 'public'
    ? E.left(ApiErrors.conflict('Public apps do not use client secrets.'))
    : E.right(client);

/** What `createAppSecretOnce` answers when its secret id is already taken: the secret was issued before. */
export const SECRET_ALREADY_CREATED = 'already_created' as const;

/**
 * Issues a client secret with id `requestedId`, or a fresh one; `already_created` when that id is
 * taken (the secret, or another, exists with it: nothing is written).
 */
const makeIssueSecret = (deps: SecretDeps) => {
  const newSecret = (client: OAuthClient, id: ClientSecretId): IssuedClientSecret => {
    const credential = issueCredential('clientSecret', deps.random.bytes(CREDENTIAL_BYTES));
    const secret: ClientSecret = {
      id,
      clientId: client.id,
      digest: credential.digest,
      displaySuffix: truncateSecret(credential.token),
      createdAt: deps.clock.now(),
    };
    return { secret, token: credential.token };
  };

  return (
    actor: Actor,
    appId: ClientId,
    meta: RequestMeta,
    requestedId?: ClientSecretId,
  ): Outcome<ApiError, IssuedClientSecret | typeof SECRET_ALREADY_CREATED> => {
    /** The secret stored and its creation audited, in one transaction. */
    const issue = async (
      tx: Repositories,
    ): Outcome<ApiError, IssuedClientSecret | typeof SECRET_ALREADY_CREATED> => {
      const managed = await loadOwnerManaged(tx, appId);
      const client = E.flatMap(managed, requireConfidential);
      if (E.isLeft(client)) return client;
      const issued = newSecret(client.right, requestedId ?? (deps.random.uuid() as ClientSecretId));
      const { secret } = issued;
      const inserted = await tryPort(() => tx.clientSecrets.insert(secret));
      if (E.isLeft(inserted)) return inserted;
      if (inserted.right === 'id_taken') return E.right(SECRET_ALREADY_CREATED);
      if (inserted.right !== 'inserted') return E.left(appNotFound());
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'create', resourceType: 'oauth2_provider_app_secret', resourceId: secret.id },
        {
          actorId: actorUserId(actor),
          status: 201,
          diff: { app_id: { new: appId }, client_secret_truncated: { new: secret.displaySuffix } },
        },
      );
      return E.isLeft(logged) ? logged : E.right(issued);
    };

    return whenAllowed(requireOwner(actor), () => tryTransaction(deps.transactor, issue));
  };
};

/**
 * An owner issues a client secret; the full value is in the answer only (docs/http-api.md#apps, #credentials-at-rest).
 */
export const makeCreateAppSecret = (deps: SecretDeps) => {
  const issueSecret = makeIssueSecret(deps);
  const create = async (
    actor: Actor,
    appId: ClientId,
    meta: RequestMeta,
  ): Outcome<ApiError, IssuedClientSecret> => {
    const issued = await issueSecret(actor, appId, meta);
    // A fresh random id is never taken; were it, nothing was written and the caller may retry.
    return E.isRight(issued) && issued.right === SECRET_ALREADY_CREATED
      ? E.left(ApiErrors.conflict('The client secret could not be created; try again.'))
      : (issued as E.Either<ApiError, IssuedClientSecret>);
  };
  return asTask(create);
};

/**
 * An owner issues a client secret whose id the request chose, once: the console's form carries a
 * fresh id, so that sending the same form again (a reload of the page that shows the secret, a
 * double click) finds the id taken and creates nothing (docs/security.md#the-new-secret-page). The full value
 * is in the first answer only.
 */
export const makeCreateAppSecretOnce = (deps: SecretDeps) => {
  const issueSecret = makeIssueSecret(deps);
  return asTask((actor: Actor, appId: ClientId, secretId: ClientSecretId, meta: RequestMeta) =>
    issueSecret(actor, appId, meta, secretId),
  );
};

/** An owner lists an app's secrets, oldest first, truncated (docs/http-api.md#apps). */
export const makeListAppSecrets = (deps: Pick<Ports, 'clients' | 'clientSecrets'>) => {
  const listManaged = async (appId: ClientId): Outcome<ApiError, ClientSecret[]> => {
    const client = await loadOwnerManaged(deps, appId);
    return E.isLeft(client) ? client : tryPort(() => deps.clientSecrets.listForClient(appId));
  };
  const list = (actor: Actor, appId: ClientId): Outcome<ApiError, ClientSecret[]> =>
    whenAllowed(requireOwner(actor), () => listManaged(appId));
  return asTask(list);
};

/**
 * An owner deletes a secret: it stops authenticating at once. Tokens obtained with it live on
 * unless `revokeTokens`, so that rotating a secret does not sign every user out (docs/http-api.md#apps).
 */
export const makeDeleteAppSecret = (deps: SecretDeps & Pick<Ports, 'apiKeys'>) => {
  /** The access and refresh tokens obtained with the secret, revoked; how many. */
  const revokeObtainedWith = (tx: Repositories, secretId: ClientSecretId): Outcome<ApiError, number> =>
    tryPort(async () => {
      const now = deps.clock.now();
      const access = await tx.apiKeys.revokeObtainedWithSecret(secretId, now);
      const refresh = await tx.refreshTokens.revokeObtainedWithSecret(secretId, now);
      return access + refresh;
    });

  const deleteSecret = (
    actor: Actor,
    appId: ClientId,
    secretId: ClientSecretId,
    revokeTokens: boolean,
    meta: RequestMeta,
  ) => {
    /** The secret deleted (its tokens first revoked when asked) and the deletion audited, in one transaction. */
    const remove = async (tx: Repositories): Outcome<ApiError, void> => {
      const client = await loadOwnerManaged(tx, appId);
      if (E.isLeft(client)) return client;
      // Revoke before deleting: deleting the secret unlinks the tokens from it.
      const revoked = revokeTokens ? await revokeObtainedWith(tx, secretId) : E.right(0);
      if (E.isLeft(revoked)) return revoked;
      const deleted = await tryPort(() => tx.clientSecrets.delete(appId, secretId));
      if (E.isLeft(deleted)) return deleted;
      if (!deleted.right) return E.left(secretNotFound());
      const revokedTokens: AuditDiff = revokeTokens ? { revoked_tokens: { new: revoked.right } } : {};
      const audit = appendAudit(tx, deps, meta);
      return audit(
        { action: 'delete', resourceType: 'oauth2_provider_app_secret', resourceId: secretId },
        { actorId: actorUserId(actor), status: 204, diff: { app_id: { old: appId }, ...revokedTokens } },
      );
    };

    return whenAllowed(requireOwner(actor), () => tryTransaction(deps.transactor, remove));
  };

  return asTask(deleteSecret);
};
