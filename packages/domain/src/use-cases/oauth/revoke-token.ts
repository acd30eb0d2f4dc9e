import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RequestMeta } from '../../model/audit.js';
import { credentialDigest, credentialKindOf } from '../../model/credential.js';
import type { Ports } from '../../ports/index.js';
import { fromPortOAuth } from '../support.js';
import {
  makeAuthenticateClient,
  type AuthenticatedClient,
  type PresentedClientCredentials,
} from './authenticate-client.js';
import { revokeGrantAudited } from './revoke-grant.js';

export interface RevocationRequest {
  readonly credentials: PresentedClientCredentials;
  readonly token?: string;
  readonly meta: RequestMeta;
}

/**
 * RFC 7009 revocation. The answer is the same (success) whether the token was revoked, unknown,
 * or another client's: nothing is revealed, and a client can only ever revoke its own tokens
 * (CONTRACT §6). Revoking a refresh token revokes its grant, and so every access token of it;
 * revoking an access token revokes just that token.
 */
export const makeRevokeToken = (
  deps: Pick<
    Ports,
    'clients' | 'clientSecrets' | 'apiKeys' | 'refreshTokens' | 'transactor' | 'clock' | 'random'
  >,
) => {
  const authenticateClient = makeAuthenticateClient(deps);

  const revokeFor =
    (client: AuthenticatedClient, meta: RequestMeta) =>
    (token: string): TE.TaskEither<OAuthError, void> => {
      const kind = credentialKindOf(token);
      if (kind === 'access') {
        const digest = credentialDigest('access', token);
        return digest === undefined
          ? TE.right(undefined)
          : pipe(
              fromPortOAuth(() => deps.apiKeys.findByDigest(digest)),
              TE.flatMap((key) =>
                key?.kind === 'access' && key.clientId === client.client.id
                  ? fromPortOAuth(() => deps.apiKeys.revoke(key.id, deps.clock.now()))
                  : TE.right(false),
              ),
              TE.map(() => undefined),
            );
      }
      if (kind === 'refresh') {
        const digest = credentialDigest('refresh', token);
        return digest === undefined
          ? TE.right(undefined)
          : pipe(
              fromPortOAuth(() => deps.refreshTokens.findByDigest(digest)),
              TE.flatMap((stored) =>
                stored?.clientId === client.client.id
                  ? revokeGrantAudited(
                      deps,
                      meta,
                    )({
                      grantId: stored.grantId,
                      status: 200,
                      diff: { client_id: { old: stored.clientId }, reason: { new: 'refresh_token_revoked' } },
                    })
                  : TE.right(false),
              ),
              TE.map(() => undefined),
            );
      }
      return TE.right(undefined);
    };

  return (request: RevocationRequest): TE.TaskEither<OAuthError, void> =>
    pipe(
      authenticateClient(request.credentials),
      TE.flatMap((client) =>
        request.token === undefined
          ? TE.left(oauthError('invalid_request', 'The token parameter is missing.'))
          : revokeFor(client, request.meta)(request.token),
      ),
    );
};
