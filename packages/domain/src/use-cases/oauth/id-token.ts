import { hash } from 'node:crypto';
import type { AuthorizationCode } from '../../model/authorization.js';
import { publicClientId, type OAuthClient } from '../../model/client.js';
import { SCOPE_EMAIL, SCOPE_OPENID, SCOPE_PROFILE } from '../../model/scope.js';
import type { User } from '../../model/user.js';
import type { JwtClaims } from '../../ports/token-signer.js';
import type { OidcSettings } from './settings.js';

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token, base64url.
 * SHA-256 fits both ES256 and RS256.
 */
export const accessTokenHash = (accessToken: string): string =>
  Buffer.from(hash('sha256', accessToken, 'buffer').subarray(0, 16)).toString('base64url');

/**
 * The claims of the ID token issued at the exchange of `code` (OpenID Connect Core §2,
 * §3.1.3.6), or `undefined` when the code was not granted `openid`. `sub` is the user's id,
 * stable and never reassigned; `aud` and `azp` the public client id.
 */
export const idTokenClaims = (
  issuer: string,
  code: AuthorizationCode,
  client: OAuthClient,
  accessToken: string,
  now: Date,
  settings: OidcSettings,
): JwtClaims | undefined => {
  if (!code.scopes.includes(SCOPE_OPENID)) return undefined;
  const clientId = publicClientId(client);
  return {
    iss: issuer,
    sub: code.userId,
    aud: clientId,
    azp: clientId,
    iat: seconds(now),
    exp: seconds(now) + settings.idTokenTtlSeconds,
    ...(code.authTime === undefined ? {} : { auth_time: seconds(code.authTime) }),
    ...(code.nonce === undefined ? {} : { nonce: code.nonce }),
    at_hash: accessTokenHash(accessToken),
  };
};

/**
 * The UserInfo answer (OpenID Connect Core §5.3.2) for a token with these scopes: `sub`, plus
 * `name` and `preferred_username` with `profile`, `email` with `email` (docs/openid-connect.md#userinfo).
 * `email_verified` is false: Latchkey does not verify addresses.
 */
export const userInfoClaims = (user: User, scopes: readonly string[]): JwtClaims => ({
  sub: user.id,
  ...(scopes.includes(SCOPE_PROFILE)
    ? { ...(user.name === '' ? {} : { name: user.name }), preferred_username: user.username }
    : {}),
  ...(scopes.includes(SCOPE_EMAIL) ? { email: user.email, email_verified: false } : {}),
});
