import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { GrantType } from '../../model/client.js';
import type { Ports } from '../../ports/index.js';
import type {
  AuthenticateClient,
  AuthenticatedClient,
  PresentedClientCredentials,
} from './authenticate-client.js';
import { makeExchangeAuthorizationCode } from './exchange-authorization-code.js';
import type { TokenResponse } from './issue-tokens.js';
import { makeRefreshAccessToken } from './refresh-access-token.js';
import type { OAuthSettings } from './settings.js';

/** A token request as the HTTP adapter decoded it: single-valued parameters, empty ones dropped. */
export interface TokenRequest {
  readonly credentials: PresentedClientCredentials;
  readonly params: Readonly<Partial<Record<string, string>>>;
  readonly meta: RequestMeta;
}

const SUPPORTED_GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token'];

/** RFC 6749 §5.2: missing → invalid_request, unknown → unsupported_grant_type, unregistered → unauthorized_client. */
const pickGrant = (
  client: AuthenticatedClient,
  grantType: string | undefined,
): E.Either<OAuthError, GrantType> => {
  if (grantType === undefined)
    return E.left(oauthError('invalid_request', 'The grant_type parameter is missing.'));
  if (!(SUPPORTED_GRANTS as readonly string[]).includes(grantType)) {
    return E.left(oauthError('unsupported_grant_type', 'The grant type is not supported.'));
  }
  const grant = grantType as GrantType;
  return client.client.grantTypes.includes(grant)
    ? E.right(grant)
    : E.left(oauthError('unauthorized_client', 'The client is not registered for this grant type.'));
};

/**
 * The token endpoint as named steps (RFC 6749 §3.2): authenticate the client, pick the grant,
 * then let the grant validate its own parameters and issue.
 */
export const makeTokenEndpoint = (
  deps: Pick<
    Ports,
    'clients' | 'clientSecrets' | 'codes' | 'refreshTokens' | 'grants' | 'transactor' | 'clock' | 'random'
  >,
  settings: OAuthSettings,
  authenticateClient: AuthenticateClient,
) => {
  const exchangeCode = makeExchangeAuthorizationCode(deps, settings);
  const refresh = makeRefreshAccessToken(deps, settings);
  /**
   * The client's first completed token request, recorded once (docs/http-api.md#registration: a registration with
   * none in 24 hours is abandoned). After the tokens are stored and outside their write: a
   * failure here does not take back tokens already issued, and the client's next token request
   * records it instead.
   */
  const recordFirstToken = async (client: AuthenticatedClient): Promise<void> => {
    if (client.client.firstTokenAt !== undefined) return;
    await deps.clients.recordFirstToken(client.client.id, deps.clock.now()).catch(() => undefined);
  };

  const issue = async (
    client: AuthenticatedClient,
    grant: GrantType,
    request: TokenRequest,
  ): Promise<E.Either<OAuthError, TokenResponse>> => {
    const { params } = request;
    switch (grant) {
      case 'authorization_code':
        return exchangeCode(
          client,
          {
            code: params.code,
            codeVerifier: params.code_verifier,
            redirectUri: params.redirect_uri,
            resource: params.resource,
          },
          request.meta,
        )();
      case 'refresh_token':
        return refresh(
          client,
          { refreshToken: params.refresh_token, scope: params.scope, resource: params.resource },
          request.meta,
        )();
    }
  };

  const handle = async (request: TokenRequest): Promise<E.Either<OAuthError, TokenResponse>> => {
    const authenticated = await authenticateClient(request.credentials)();
    if (E.isLeft(authenticated)) return authenticated;
    const client = authenticated.right;
    const grant = pickGrant(client, request.params.grant_type);
    if (E.isLeft(grant)) return grant;
    const issued = await issue(client, grant.right, request);
    if (E.isRight(issued)) await recordFirstToken(client);
    return issued;
  };
  return (request: TokenRequest): TE.TaskEither<OAuthError, TokenResponse> =>
    () =>
      handle(request);
};
