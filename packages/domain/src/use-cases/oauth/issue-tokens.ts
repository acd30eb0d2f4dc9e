import type { ApiKey } from '../../model/api-key.js';
import type { RefreshToken } from '../../model/authorization.js';
import type { ClientSecretId, OAuthClient } from '../../model/client.js';
import { CREDENTIAL_BYTES, issueCredential } from '../../model/credential.js';
import type { Grant } from '../../model/grant.js';
import type { ApiKeyId } from '../../model/ids.js';
import { formatScope } from '../../model/scope.js';
import type { TokenRows } from '../../ports/authorization-repositories.js';
import type { Ports } from '../../ports/index.js';
import { addSeconds, earliest, type OAuthSettings } from './settings.js';

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
}

/**
 * Mints an access token (an API key bound to the grant's resource) and, for clients with the
 * `refresh_token` grant, a refresh token. Nothing is stored here: the caller hands the rows to
 * the repository call that consumes the code or rotates the refresh token, so that the tokens
 * exist exactly when that step succeeded. Neither outlives the grant (`LATCHKEY_GRANT_MAX_TTL`).
 */
export const mintTokens =
  (deps: Pick<Ports, 'clock' | 'random'>, settings: OAuthSettings) =>
  (issue: TokenIssue, now: Date = deps.clock.now()): MintedTokens => {
    const access = issueCredential('access', deps.random.bytes(CREDENTIAL_BYTES));
    const accessExpiresAt = earliest(addSeconds(now, settings.accessTokenTtlSeconds), issue.grant.expiresAt);
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
    return {
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
