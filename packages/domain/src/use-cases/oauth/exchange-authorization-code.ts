import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { AuthorizationCode } from '../../model/authorization.js';
import { credentialDigest } from '../../model/credential.js';
import { isGrantLive } from '../../model/grant.js';
import { verifyCodeVerifier } from '../../model/pkce.js';
import { normaliseResource } from '../../model/resource.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import { oauthPortFailure, tryPort } from '../support.js';
import type { AuthenticatedClient } from './authenticate-client.js';
import { mintTokens, signAccessToken, type TokenResponse } from './issue-tokens.js';
import { revokeGrantAudited } from './revoke-grant.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import { idTokenClaims } from './id-token.js';
import { oidcSettings, type OAuthSettings } from './settings.js';

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3) as the HTTP adapter decoded it: `code` is
 * there (its absence is the adapter's `invalid_request`). `codeVerifier` may be missing on the
 * wire; the rule that a code cannot be redeemed without it is this module's (docs/http-api.md#token).
 */
export interface AuthorizationCodeGrant {
  readonly grantType: 'authorization_code';
  readonly code: string;
  readonly codeVerifier?: string;
  readonly redirectUri?: string;
  readonly resource?: string;
}

const badCode = (logDetail: string, replay?: 'authorization_code'): OAuthError =>
  oauthError('invalid_grant', 'The authorization code is invalid, expired or already used.', {
    logDetail,
    ...(replay === undefined ? {} : { replay }),
  });

/**
 * Everything that must hold before the code is touched (docs/http-api.md#token): a request that fails here
 * leaves the code unused and revokes nothing.
 */
export const checkCodeRequest = (
  client: AuthenticatedClient,
  params: AuthorizationCodeGrant,
  code: AuthorizationCode | undefined,
  now: Date,
): E.Either<OAuthError, AuthorizationCode> => {
  if (code === undefined) return E.left(badCode('unknown code'));
  if (code.clientId !== client.client.id) return E.left(badCode('code of another client'));
  if (params.codeVerifier === undefined) return E.left(badCode('missing code_verifier'));
  if (!verifyCodeVerifier(params.codeVerifier, code.codeChallenge))
    return E.left(badCode('wrong code_verifier'));
  if (params.redirectUri !== undefined && params.redirectUri !== code.redirectUri) {
    return E.left(badCode('redirect_uri differs from the one sent at authorize'));
  }
  if (code.resourceRequested) {
    if (params.resource === undefined || normaliseResource(params.resource) !== code.resource) {
      return E.left(oauthError('invalid_target', 'The resource does not match the authorization request.'));
    }
  } else if (params.resource !== undefined) {
    return E.left(oauthError('invalid_target', 'No resource was requested at authorization.'));
  }
  if (code.consumedAt === undefined && code.expiresAt.getTime() <= now.getTime())
    return E.left(badCode('expired code'));
  return E.right(code);
};

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6). The code and its grant are
 * read together; once every check has passed, one atomic repository call consumes the code and
 * stores the new tokens, so of N concurrent exchanges exactly one succeeds. A code presented
 * again revokes its grant: every token issued from it (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
 */
export const makeExchangeAuthorizationCode = (
  deps: Pick<Ports, 'codes' | 'grants' | 'transactor' | 'clock' | 'random'>,
  settings: OAuthSettings,
  signer?: TokenSigner,
) => {
  const mint = mintTokens(deps, settings);
  const oidc = oidcSettings(settings);
  /** OpenID Connect Core §3.1.3.3: signed before anything is stored, so a failure issues nothing. */
  const idToken = async (
    code: AuthorizationCode,
    client: AuthenticatedClient,
    accessToken: string,
    now: Date,
  ): Promise<string | undefined> => {
    const claims =
      signer === undefined
        ? undefined
        : idTokenClaims(settings.issuer, code, client.client, accessToken, now, oidc);
    return claims === undefined || signer === undefined
      ? undefined
      : signer.sign(claims, { typ: 'JWT', alg: oidc.signingAlg });
  };
  const exchange = async (
    client: AuthenticatedClient,
    params: AuthorizationCodeGrant,
    meta: RequestMeta,
  ): Promise<E.Either<OAuthError, TokenResponse>> => {
    const digest = credentialDigest('code', params.code);
    const now = deps.clock.now();
    const found =
      digest === undefined
        ? E.right(undefined)
        : await tryPort(() => deps.codes.findWithGrant(digest), oauthPortFailure);
    if (E.isLeft(found)) return found;
    const checked = checkCodeRequest(client, params, found.right?.code, now);
    if (E.isLeft(checked) || found.right === undefined) return checked as E.Left<OAuthError>;
    const { code, grant } = found.right;
    const replay = async (): Promise<E.Either<OAuthError, never>> => {
      const revoked = await revokeGrantAudited(
        deps,
        meta,
      )({
        grantId: code.grantId,
        status: 400,
        diff: { client_id: { old: code.clientId }, reason: { new: 'code_reuse' } },
      })();
      return E.isLeft(revoked)
        ? revoked
        : E.left(badCode('code replayed; grant revoked', 'authorization_code'));
    };
    if (code.consumedAt !== undefined) return replay();
    if (!isGrantLive(grant, now)) return E.left(badCode('grant ended'));
    const jwt = await tryPort(
      () =>
        signAccessToken(
          mint({ grant, client: client.client, scopes: code.scopes, secretId: client.secretId }, now),
          signer,
          settings,
        ),
      oauthPortFailure,
    );
    if (E.isLeft(jwt)) return jwt;
    const minted = jwt.right;
    const signed = await tryPort(
      () => idToken(code, client, minted.response.accessToken, now),
      oauthPortFailure,
    );
    if (E.isLeft(signed)) return signed;
    const redeemed = await tryPort(() => deps.codes.redeem(code.id, now, minted.rows), oauthPortFailure);
    if (E.isLeft(redeemed)) return redeemed;
    switch (redeemed.right) {
      case 'redeemed':
        return E.right(
          signed.right === undefined ? minted.response : { ...minted.response, idToken: signed.right },
        );
      case 'grant_ended':
        return E.left(badCode('grant ended'));
      case 'consumed':
        // Another exchange consumed it first: this one is a replay.
        return replay();
    }
  };
  return (
      client: AuthenticatedClient,
      params: AuthorizationCodeGrant,
      meta: RequestMeta,
    ): TE.TaskEither<OAuthError, TokenResponse> =>
    () =>
      exchange(client, params, meta);
};
