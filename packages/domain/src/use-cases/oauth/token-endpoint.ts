import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import type {
  AuthenticateClient,
  AuthenticatedClient,
  PresentedClientCredentials,
} from './authenticate-client.js';
import { makeClientCredentials, type ClientCredentialsGrant } from './client-credentials.js';
import { makeExchangeAuthorizationCode, type AuthorizationCodeGrant } from './exchange-authorization-code.js';
import type { TokenResponse } from './issue-tokens.js';
import { makeRefreshAccessToken, type RefreshTokenGrant } from './refresh-access-token.js';
import type { OAuthSettings } from './settings.js';

/** A grant's parameters, or why the HTTP adapter could not decode them (a parameter missing). */
export interface GrantParams<G extends TokenGrant> {
  readonly grantType: G['grantType'];
  readonly params: E.Either<OAuthError, G>;
}

/** The grant types Latchkey serves (docs/http-api.md#token), each with its decoded parameters. */
export type TokenGrant = AuthorizationCodeGrant | RefreshTokenGrant | ClientCredentialsGrant;

/**
 * The grant of a token request as the HTTP adapter decoded it. Decoding failures are data here,
 * answered in the order of docs/http-api.md#token ("Order of checks"): a missing or unknown
 * `grant_type` (`Left`) only once the client is authenticated, and a missing parameter of the
 * grant (`params`) only once the client is known to have registered that grant type.
 */
export type RequestedGrant =
  GrantParams<AuthorizationCodeGrant> | GrantParams<RefreshTokenGrant> | GrantParams<ClientCredentialsGrant>;

/** A token request: the presented client credentials, the decoded grant, and who sent it. */
export interface TokenRequest {
  readonly credentials: PresentedClientCredentials;
  readonly grant: E.Either<OAuthError, RequestedGrant>;
  readonly meta: RequestMeta;
}

/**
 * RFC 6749 §5.2: a grant type the client did not register is `unauthorized_client`, decided
 * before the grant's own parameters are looked at.
 */
export const permittedGrant = (
  client: AuthenticatedClient,
  requested: E.Either<OAuthError, RequestedGrant>,
): E.Either<OAuthError, TokenGrant> => {
  if (E.isLeft(requested)) return requested;
  return client.client.grantTypes.includes(requested.right.grantType)
    ? requested.right.params
    : E.left(oauthError('unauthorized_client', 'The client is not registered for this grant type.'));
};

/**
 * The token endpoint as named steps (RFC 6749 §3.2): authenticate the client, check that it may
 * use the requested grant, then let the grant check its parameters and issue.
 */
export const makeTokenEndpoint = (
  deps: Pick<
    Ports,
    'clients' | 'clientSecrets' | 'codes' | 'refreshTokens' | 'grants' | 'transactor' | 'clock' | 'random'
  >,
  settings: OAuthSettings,
  authenticateClient: AuthenticateClient,
  signer?: TokenSigner,
) => {
  const exchangeCode = makeExchangeAuthorizationCode(deps, settings, signer);
  const refresh = makeRefreshAccessToken(deps, settings, signer);
  const clientCredentials = makeClientCredentials(deps, settings);
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
    grant: TokenGrant,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, TokenResponse>> => {
    switch (grant.grantType) {
      case 'authorization_code':
        return exchangeCode(client, grant, meta)();
      case 'refresh_token':
        return refresh(client, grant, meta)();
      case 'client_credentials':
        return clientCredentials(client, grant, meta)();
    }
  };

  const handle = async (request: TokenRequest): Promise<E.Either<OAuthError, TokenResponse>> => {
    const authenticated = await authenticateClient(request.credentials)();
    if (E.isLeft(authenticated)) return authenticated;
    const client = authenticated.right;
    const grant = permittedGrant(client, request.grant);
    if (E.isLeft(grant)) return grant;
    const issued = await issue(client, grant.right, request.meta);
    if (E.isRight(issued)) await recordFirstToken(client);
    return issued;
  };
  return (request: TokenRequest): TE.TaskEither<OAuthError, TokenResponse> =>
    () =>
      handle(request);
};
