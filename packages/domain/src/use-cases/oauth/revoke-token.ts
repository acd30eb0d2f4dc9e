import * as E from 'fp-ts/lib/Either.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { ApiKey } from '../../model/api-key.js';
import type { RefreshToken } from '../../model/authorization.js';
import type { Ports } from '../../ports/index.js';
import { asTask, oauthPortFailure, tryPort, type Outcome } from '../support.js';
import type {
  AuthenticateClient,
  AuthenticatedClient,
  PresentedClientCredentials,
} from './authenticate-client.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import { findPresentedToken } from './presented-token.js';
import { revokeGrantAudited } from './revoke-grant.js';

const DONE: E.Either<never, void> = E.right(undefined);

export interface RevocationRequest {
  readonly credentials: PresentedClientCredentials;
  readonly token?: string;
  readonly meta: RequestMeta;
}

/**
 * RFC 7009 revocation. The answer is the same (success) whether the token was revoked, unknown,
 * or another client's: nothing is revealed, and a client can only ever revoke its own tokens
 * (docs/http-api.md#revocation). Revoking a refresh token revokes its grant, and so every access token of it;
 * revoking an access token revokes just that token.
 */
export const makeRevokeToken = (
  deps: Pick<
    Ports,
    'clients' | 'clientSecrets' | 'apiKeys' | 'refreshTokens' | 'transactor' | 'clock' | 'random'
  >,
  authenticateClient: AuthenticateClient,
  signer?: TokenSigner,
) => {
  /** An access token is revoked alone. */
  const revokeAccessToken = async (key: ApiKey): Outcome<OAuthError, void> => {
    const revoked = await tryPort(() => deps.apiKeys.revoke(key.id, deps.clock.now()), oauthPortFailure);
    return E.isLeft(revoked) ? revoked : DONE;
  };

  /** A refresh token is revoked with its grant, and so with every token of that grant. */
  const revokeRefreshToken = async (token: RefreshToken, meta: RequestMeta): Outcome<OAuthError, void> => {
    const revokeGrant = revokeGrantAudited(deps, meta);
    const revoked = await revokeGrant({
      grantId: token.grantId,
      status: 200,
      diff: { client_id: { old: token.clientId }, reason: { new: 'refresh_token_revoked' } },
    })();
    return E.isLeft(revoked) ? revoked : DONE;
  };

  /** Revokes `token` if it is an access or refresh token of `client`; anything else is a no-op. */
  const revokeFor = async (
    client: AuthenticatedClient,
    meta: RequestMeta,
    token: string,
  ): Outcome<OAuthError, void> => {
    const found = await findPresentedToken(deps, token, signer);
    if (E.isLeft(found)) return found;
    const stored = found.right;
    if (stored?.kind === 'access' && stored.key.clientId === client.client.id)
      return revokeAccessToken(stored.key);
    if (stored?.kind === 'refresh' && stored.token.clientId === client.client.id)
      return revokeRefreshToken(stored.token, meta);
    return DONE;
  };

  const revoke = async (request: RevocationRequest): Outcome<OAuthError, void> => {
    const client = await authenticateClient(request.credentials)();
    if (E.isLeft(client)) return client;
    if (request.token === undefined)
      return E.left(oauthError('invalid_request', 'The token parameter is missing.'));
    return revokeFor(client.right, request.meta, request.token);
  };

  return asTask(revoke);
};
