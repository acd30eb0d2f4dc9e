import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RefreshToken } from '../../model/authorization.js';
import { credentialDigest } from '../../model/credential.js';
import { isGrantLive } from '../../model/grant.js';
import { normaliseResource } from '../../model/resource.js';
import { parseScope } from '../../model/scope.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import { oauthPortFailure, tryPort } from '../support.js';
import type { AuthenticatedClient } from './authenticate-client.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import { mintTokens, signAccessToken, type TokenResponse } from './issue-tokens.js';
import { revokeGrantAudited } from './revoke-grant.js';
import { addSeconds, type OAuthSettings } from './settings.js';

/** `grant_type=refresh_token` (RFC 6749 §6) as the HTTP adapter decoded it: `refreshToken` is there. */
export interface RefreshTokenGrant {
  readonly grantType: 'refresh_token';
  readonly refreshToken: string;
  readonly scope?: string;
  readonly resource?: string;
}

const badRefresh = (logDetail: string, replay?: 'refresh_token'): OAuthError =>
  oauthError('invalid_grant', 'The refresh token is invalid, expired or revoked.', {
    logDetail,
    ...(replay === undefined ? {} : { replay }),
  });

interface Checked {
  readonly token: RefreshToken;
  readonly scopes: readonly string[];
}

/** Checks that leave the token and its grant untouched when they fail (docs/http-api.md#token). */
export const checkRefreshRequest = (
  client: AuthenticatedClient,
  params: RefreshTokenGrant,
  token: RefreshToken | undefined,
  now: Date,
): E.Either<OAuthError, Checked> => {
  if (token === undefined) return E.left(badRefresh('unknown refresh token'));
  if (token.clientId !== client.client.id) return E.left(badRefresh('refresh token of another client'));
  if (token.revokedAt !== undefined) return E.left(badRefresh('revoked'));
  if (token.expiresAt.getTime() <= now.getTime()) return E.left(badRefresh('expired'));
  const requested = parseScope(params.scope);
  if (requested.some((s) => !token.scopes.includes(s))) {
    return E.left(oauthError('invalid_scope', 'The requested scope exceeds the scope originally granted.'));
  }
  if (params.resource !== undefined && normaliseResource(params.resource) !== token.resource) {
    return E.left(oauthError('invalid_target', 'The resource does not match the grant.'));
  }
  return E.right({ token, scopes: requested.length > 0 ? requested : token.scopes });
};

/**
 * `grant_type=refresh_token` with rotation (RFC 6749 §6, RFC 9700 §4.14.2, docs/http-api.md#token). The
 * token and its grant are read together; once every check has passed, one atomic repository call
 * rotates the presented token and stores the new pair. A rotated token presented again by its
 * client within the grace window is honoured once (so that parallel refreshes of an MCP client do
 * not sign the user out); any other reuse revokes the grant.
 */
export const makeRefreshAccessToken = (
  deps: Pick<Ports, 'refreshTokens' | 'grants' | 'transactor' | 'clock' | 'random'>,
  settings: OAuthSettings,
  signer?: TokenSigner,
) => {
  const mint = mintTokens(deps, settings);
  const refresh = async (
    client: AuthenticatedClient,
    params: RefreshTokenGrant,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, TokenResponse>> => {
    const digest = credentialDigest('refresh', params.refreshToken);
    const now = deps.clock.now();
    const found =
      digest === undefined
        ? E.right(undefined)
        : await tryPort(() => deps.refreshTokens.findWithGrant(digest), oauthPortFailure);
    if (E.isLeft(found)) return found;
    const checked = checkRefreshRequest(client, params, found.right?.token, now);
    if (E.isLeft(checked) || found.right === undefined) return checked as E.Left<OAuthError>;
    const { token, scopes } = checked.right;
    const { grant } = found.right;
    if (!isGrantLive(grant, now)) return E.left(badRefresh('grant ended'));
    const graceSince =
      settings.refreshReuseGraceSeconds > 0 ? addSeconds(now, -settings.refreshReuseGraceSeconds) : undefined;
    // RFC 6749 §6: the new refresh token keeps the scope of the one presented.
    const jwt = await tryPort(
      () =>
        signAccessToken(
          mint(
            { grant, client: client.client, scopes, refreshScopes: token.scopes, secretId: client.secretId },
            now,
          ),
          signer,
          settings,
        ),
      oauthPortFailure,
    );
    if (E.isLeft(jwt)) return jwt;
    const minted = jwt.right;
    const exchanged = await tryPort(
      () => deps.refreshTokens.exchange(token.id, now, graceSince, minted.rows),
      oauthPortFailure,
    );
    if (E.isLeft(exchanged)) return exchanged;
    switch (exchanged.right) {
      case 'rotated':
      case 'grace':
        return E.right(minted.response);
      case 'grant_ended':
        return E.left(badRefresh('grant ended'));
      case 'reused': {
        const revoked = await revokeGrantAudited(
          deps,
          meta,
        )({
          grantId: token.grantId,
          status: 400,
          diff: { client_id: { old: token.clientId }, reason: { new: 'refresh_token_reuse' } },
        })();
        return E.isLeft(revoked)
          ? revoked
          : E.left(badRefresh('rotated refresh token reused; grant revoked', 'refresh_token'));
      }
    }
  };
  return (
      client: AuthenticatedClient,
      params: RefreshTokenGrant,
      meta: RequestMeta,
    ): TE.TaskEither<OAuthError, TokenResponse> =>
    () =>
      refresh(client, params, meta);
};
