import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../../errors/api-error.js';
import type { Principal } from '../../model/api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../../model/client.js';
import { CREDENTIAL_BYTES, issueCredential, truncateSecret } from '../../model/credential.js';
import type { Ports } from '../../ports/index.js';
import { requireOwner } from '../policy.js';
import { decide, fromPort, inTransaction } from '../support.js';
import { appNotFound, requireOwnerManaged } from './app-rules.js';
import { appendAudit, loadClient } from './manage-apps.js';

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

/**
 * An owner issues a client secret; the full value is in the answer only (docs/http-api.md#apps, #credentials-at-rest).
 */
export const makeCreateAppSecret =
  (deps: SecretDeps) =>
  (principal: Principal, appId: ClientId, meta: RequestMeta): TE.TaskEither<ApiError, IssuedClientSecret> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            loadClient(tx)(appId),
            TE.flatMap((client) => decide(E.flatMap(requireOwnerManaged(client), requireConfidential))),
            TE.map((client) => {
              const credential = issueCredential('clientSecret', deps.random.bytes(CREDENTIAL_BYTES));
              const secret: ClientSecret = {
                id: deps.random.uuid() as ClientSecretId,
                clientId: client.id,
                digest: credential.digest,
                displaySuffix: truncateSecret(credential.token),
                createdAt: deps.clock.now(),
              };
              return { secret, token: credential.token };
            }),
            TE.tap(({ secret }) =>
              pipe(
                fromPort(() => tx.clientSecrets.insert(secret)),
                TE.flatMap((result) =>
                  result === 'inserted' ? TE.right(undefined) : TE.left(appNotFound()),
                ),
              ),
            ),
            TE.tap(({ secret }) =>
              appendAudit(
                tx,
                deps,
                meta,
              )({
                action: 'create',
                resourceType: 'oauth2_provider_app_secret',
                resourceId: secret.id,
                actorId: principal.user.id,
                status: 201,
                diff: { app_id: { new: appId }, client_secret_truncated: { new: secret.displaySuffix } },
              }),
            ),
          ),
        ),
      ),
    );

/** An owner lists an app's secrets, oldest first, truncated (docs/http-api.md#apps). */
export const makeListAppSecrets =
  (deps: Pick<Ports, 'clients' | 'clientSecrets'>) =>
  (principal: Principal, appId: ClientId): TE.TaskEither<ApiError, ClientSecret[]> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() => loadClient(deps)(appId)),
      TE.flatMap((client) => decide(requireOwnerManaged(client))),
      TE.flatMap(() => fromPort(() => deps.clientSecrets.listForClient(appId))),
    );

/**
 * An owner deletes a secret: it stops authenticating at once. Tokens obtained with it live on
 * unless `revokeTokens`, so that rotating a secret does not sign every user out (docs/http-api.md#apps).
 */
export const makeDeleteAppSecret =
  (deps: SecretDeps & Pick<Ports, 'apiKeys'>) =>
  (
    principal: Principal,
    appId: ClientId,
    secretId: ClientSecretId,
    revokeTokens: boolean,
    meta: RequestMeta,
  ): TE.TaskEither<ApiError, void> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            loadClient(tx)(appId),
            TE.flatMap((client) => decide(requireOwnerManaged(client))),
            // Revoke before deleting: deleting the secret unlinks the tokens from it.
            TE.flatMap(() =>
              revokeTokens
                ? fromPort(async () => {
                    const now = deps.clock.now();
                    const access = await tx.apiKeys.revokeObtainedWithSecret(secretId, now);
                    const refresh = await tx.refreshTokens.revokeObtainedWithSecret(secretId, now);
                    return access + refresh;
                  })
                : TE.right(0),
            ),
            TE.flatMap((revoked) =>
              pipe(
                fromPort(() => tx.clientSecrets.delete(appId, secretId)),
                TE.flatMap((deleted) => (deleted ? TE.right(revoked) : TE.left(secretNotFound()))),
              ),
            ),
            TE.flatMap((revoked) =>
              appendAudit(
                tx,
                deps,
                meta,
              )({
                action: 'delete',
                resourceType: 'oauth2_provider_app_secret',
                resourceId: secretId,
                actorId: principal.user.id,
                status: 204,
                diff: {
                  app_id: { old: appId },
                  ...(revokeTokens ? { revoked_tokens: { new: revoked } } : {}),
                },
              }),
            ),
          ),
        ),
      ),
    );
