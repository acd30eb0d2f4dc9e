import type { ApiKey } from '../../model/api-key.js';
import type { RefreshToken } from '../../model/authorization.js';
import { publicClientId, type ClientSecretId, type OAuthClient } from '../../model/client.js';
import {
  CREDENTIAL_BYTES,
  issueCredential,
  jwtAccessTokenDigest,
  type CredentialDigest,
} from '../../model/credential.js';
import type { Grant } from '../../model/grant.js';
import type { ApiKeyId } from '../../model/ids.js';
import { formatScope } from '../../model/scope.js';
import type { TokenRows } from '../../ports/authorization-repositories.js';
import type { Ports } from '../../ports/index.js';
import type { JwtClaims, TokenSigner } from '../../ports/token-signer.js';
import { addSeconds, earliest, oidcSettings, type OAuthSettings } from './settings.js';

/** A JWT access token's `jti` (random, 256 bits) and the digest its row is stored under. */
const jwtAccessToken = (randomBytes: Uint8Array): { token: string; digest: CredentialDigest } => {
  const jti = Buffer.from(randomBytes.subarray(0, CREDENTIAL_BYTES)).toString('base64url');
  return { token: jti, digest: jwtAccessTokenDigest(jti) };
};

/** RFC 6749 §5.1 successful response, before it is put on the wire. */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly refreshToken?: string;
  readonly scope: string;
  /** OpenID Connect Core §3.1.3.3, at the code exchange of a grant with `openid`. */
  readonly idToken?: string;
}

export interface TokenIssue {
  readonly grant: Grant;
  readonly client: OAuthClient;
  /** The access token's scope, and the response's (RFC 6749 §5.1). */
  readonly scopes: readonly string[];
  /**
   * The new refresh token's scope, when it differs from the access token's: a refresh that asks
   * for less narrows the access token only (RFC 6749 §6), so the grant keeps what was consented.
   */
  readonly refreshScopes?: readonly string[];
  readonly secretId: ClientSecretId | undefined;
}

/** The rows to store and the response to send once they are stored. */
export interface MintedTokens {
  readonly rows: TokenRows;
  readonly response: TokenResponse;
  /**
   * For a resource marked JWT (`LATCHKEY_JWT_RESOURCES`): the RFC 9068 claims to sign; the
   * response's `accessToken` is then the signed JWT (`signAccessToken`).
   */
  readonly jwtClaims?: JwtClaims;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * Signs the JWT access token of `minted`, if it has one, before anything is stored: the
 * response then carries the JWT in place of an opaque token (RFC 9068 §2.1: `typ: at+jwt`).
 */
export const signAccessToken = async (
  minted: MintedTokens,
  signer: TokenSigner | undefined,
  settings: OAuthSettings,
): Promise<MintedTokens> => {
  if (minted.jwtClaims === undefined) return minted;
  if (signer === undefined) throw new Error('a JWT access token needs a signer');
  const jwt = await signer.sign(minted.jwtClaims, { typ: 'at+jwt', alg: oidcSettings(settings).signingAlg });
  return { ...minted, response: { ...minted.response, accessToken: jwt } };
};

/**
 * Mints an access token (an API key bound to the grant's resource) and, for clients with the
 * `refresh_token` grant, a refresh token. Nothing is stored here: the caller hands the rows to
 * the repository call that consumes the code or rotates the refresh token, so that the tokens
 * exist exactly when that step succeeded. Neither outlives the grant (`LATCHKEY_GRANT_MAX_TTL`).
 */
export const mintTokens =
  (deps: Pick<Ports, 'clock' | 'random'>, settings: OAuthSettings) =>
  (issue: TokenIssue, now: Date = deps.clock.now()): MintedTokens => {
    const oidc = oidcSettings(settings);
    const asJwt = oidc.jwtResources.includes(issue.grant.resource);
    const access = asJwt
      ? jwtAccessToken(deps.random.bytes(CREDENTIAL_BYTES))
      : issueCredential('access', deps.random.bytes(CREDENTIAL_BYTES));
    const ttl = asJwt ? oidc.jwtAccessTokenTtlSeconds : settings.accessTokenTtlSeconds;
    const accessExpiresAt = earliest(addSeconds(now, ttl), issue.grant.expiresAt);
    // Written out, not made by `newApiKey` as the other API keys are, so that this hot path builds
    // one literal. A version of `newApiKey` that spread the fields first and added the id, kind
    // and digest after cost the code exchange and the refresh grant 3-10% more server CPU per
    // request in `node bench/compare.mjs` (two runs each); written out, 0.97 and 1.01 of the build
    // before.
    const accessToken: ApiKey = {
      id: deps.random.uuid() as ApiKeyId,
      kind: 'access',
      digest: access.digest,
      userId: issue.grant.userId,
      scopes: issue.scopes,
      audience: issue.grant.resource,
      clientId: issue.client.id,
      grantId: issue.grant.id,
      ...(issue.secretId === undefined ? {} : { secretId: issue.secretId }),
      createdAt: now,
      expiresAt: accessExpiresAt,
    };
    const refresh = issue.client.grantTypes.includes('refresh_token')
      ? issueCredential('refresh', deps.random.bytes(CREDENTIAL_BYTES))
      : undefined;
    const refreshToken: RefreshToken | undefined =
      refresh === undefined
        ? undefined
        : {
            id: deps.random.uuid(),
            digest: refresh.digest,
            grantId: issue.grant.id,
            clientId: issue.client.id,
            userId: issue.grant.userId,
            ...(issue.secretId === undefined ? {} : { secretId: issue.secretId }),
            scopes: issue.refreshScopes ?? issue.scopes,
            resource: issue.grant.resource,
            createdAt: now,
            expiresAt: earliest(addSeconds(now, settings.refreshTokenTtlSeconds), issue.grant.expiresAt),
            graceUsed: false,
          };
    const jwtClaims: JwtClaims | undefined = asJwt
      ? {
          iss: settings.issuer,
          aud: issue.grant.resource,
          sub: issue.grant.userId,
          client_id: publicClientId(issue.client),
          scope: formatScope(issue.scopes),
          jti: access.token,
          iat: seconds(now),
          exp: seconds(accessExpiresAt),
        }
      : undefined;
    return {
      ...(jwtClaims === undefined ? {} : { jwtClaims }),
      rows: refreshToken === undefined ? { accessToken } : { accessToken, refreshToken },
      response: {
        accessToken: access.token,
        tokenType: 'Bearer',
        expiresIn: Math.max(0, Math.round((accessExpiresAt.getTime() - now.getTime()) / 1000)),
        ...(refresh === undefined ? {} : { refreshToken: refresh.token }),
        scope: formatScope(issue.scopes),
      },
    };
  };
