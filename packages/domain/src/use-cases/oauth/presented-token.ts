import * as E from 'fp-ts/lib/Either.js';
import type { OAuthError } from '../../errors/oauth-error.js';
import type { ApiKey } from '../../model/api-key.js';
import type { RefreshToken } from '../../model/authorization.js';
import {
  credentialDigest,
  credentialKindOf,
  jwtAccessTokenDigest,
  looksLikeJwt,
  type CredentialDigest,
} from '../../model/credential.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import type { Ports } from '../../ports/index.js';
import { oauthPortFailure, tryPort, type Outcome } from '../support.js';

/** The stored token behind a presented access or refresh token. */
export type PresentedToken =
  | { readonly kind: 'access'; readonly key: ApiKey }
  | { readonly kind: 'refresh'; readonly token: RefreshToken };

const NOTHING: E.Either<never, undefined> = E.right(undefined);

/**
 * The stored digest of a JWT access token this server signed (RFC 9068): its signature, `typ`
 * and issuer checked, then its `jti`. `undefined` for a tampered, foreign or expired JWT.
 */
export const jwtDigestOf = async (
  presented: string,
  signer: TokenSigner | undefined,
): Promise<CredentialDigest | undefined> => {
  const claims = signer === undefined ? undefined : await signer.verify(presented, 'at+jwt');
  return typeof claims?.jti === 'string' ? jwtAccessTokenDigest(claims.jti) : undefined;
};

/**
 * The stored token a revocation or introspection request names (RFC 7009 §2.1, RFC 7662 §2.1):
 * an access token or a refresh token, looked up by its digest; `undefined` for any other
 * credential, a malformed one or an unknown one. Whose it is, and whether it is still live, is the
 * caller's to judge.
 */
export const findPresentedToken = async (
  deps: Pick<Ports, 'apiKeys' | 'refreshTokens'>,
  presented: string,
  signer?: TokenSigner,
): Outcome<OAuthError, PresentedToken | undefined> => {
  if (looksLikeJwt(presented)) {
    const digest = await jwtDigestOf(presented, signer);
    if (digest === undefined) return NOTHING;
    const key = await tryPort(() => deps.apiKeys.findByDigest(digest), oauthPortFailure);
    if (E.isLeft(key)) return key;
    return key.right?.kind === 'access' ? E.right({ kind: 'access', key: key.right }) : NOTHING;
  }
  const kind = credentialKindOf(presented);
  const digest = kind === 'access' || kind === 'refresh' ? credentialDigest(kind, presented) : undefined;
  if (digest === undefined) return NOTHING;
  if (kind === 'access') {
    const key = await tryPort(() => deps.apiKeys.findByDigest(digest), oauthPortFailure);
    if (E.isLeft(key)) return key;
    return key.right?.kind === 'access' ? E.right({ kind, key: key.right }) : NOTHING;
  }
  const token = await tryPort(() => deps.refreshTokens.findByDigest(digest), oauthPortFailure);
  if (E.isLeft(token)) return token;
  return token.right === undefined ? NOTHING : E.right({ kind: 'refresh', token: token.right });
};
