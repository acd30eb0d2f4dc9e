import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { AuthorizationCode } from '../../model/authorization.js';
import { credentialDigest } from '../../model/credential.js';
import { isGrantLive, type Grant } from '../../model/grant.js';
import { verifyCodeVerifier } from '../../model/pkce.js';
import { normaliseResource } from '../../model/resource.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import { fromPortOAuth, inOAuthTransaction } from '../support.js';
import type { AuthenticatedClient } from './authenticate-client.js';
import { issueTokens, type TokenResponse } from './issue-tokens.js';
import { revokeGrantAudited } from './revoke-grant.js';
import type { OAuthSettings } from './settings.js';

export interface CodeGrantParams {
  readonly code?: string;
  readonly codeVerifier?: string;
  readonly redirectUri?: string;
  readonly resource?: string;
}

type Exchange = { readonly kind: 'issued'; readonly tokens: TokenResponse } | { readonly kind: 'replayed' };

const badCode = (detail: string): OAuthError =>
  oauthError('invalid_grant', 'The authorization code is invalid, expired or already used.', { detail });

/**
 * Everything that must hold before the code is touched (CONTRACT §5): a request that fails here
 * leaves the code unused and revokes nothing.
 */
export const checkCodeRequest = (
  client: AuthenticatedClient,
  params: CodeGrantParams,
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
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6). The code is consumed by one
 * atomic statement in the transaction that issues the tokens, so of N concurrent exchanges
 * exactly one succeeds. A code presented again revokes its grant: every token issued from it
 * (RFC 6749 §4.1.2, RFC 9700 §4.2.4).
 */
export const makeExchangeAuthorizationCode =
  (deps: Pick<Ports, 'codes' | 'grants' | 'transactor' | 'clock' | 'random'>, settings: OAuthSettings) =>
  (
    client: AuthenticatedClient,
    params: CodeGrantParams,
    meta: RequestMeta,
  ): TE.TaskEither<OAuthError, TokenResponse> => {
    if (params.code === undefined) {
      return TE.left(oauthError('invalid_request', 'The code parameter is missing.'));
    }
    const digest = credentialDigest('code', params.code);
    const now = deps.clock.now();
    const replay = (code: AuthorizationCode): TE.TaskEither<OAuthError, never> =>
      pipe(
        revokeGrantAudited(
          deps,
          meta,
        )({
          grantId: code.grantId,
          status: 400,
          diff: { client_id: { old: code.clientId }, reason: { new: 'code_reuse' } },
        }),
        TE.flatMap(() => TE.left(badCode('code replayed; grant revoked'))),
      );
    return pipe(
      digest === undefined ? TE.right(undefined) : fromPortOAuth(() => deps.codes.findByDigest(digest)),
      TE.flatMap((code) => TE.fromEither(checkCodeRequest(client, params, code, now))),
      TE.flatMap((code) => (code.consumedAt !== undefined ? replay(code) : TE.right(code))),
      TE.flatMap((code) =>
        pipe(
          inOAuthTransaction(deps.transactor)((tx) =>
            pipe(
              fromPortOAuth(() => tx.codes.consume(code.id, now)),
              TE.flatMap((consumed): TE.TaskEither<OAuthError, Exchange> => {
                // Another exchange consumed it first: this one is a replay.
                if (!consumed) return TE.right({ kind: 'replayed' });
                return pipe(
                  fromPortOAuth(() => tx.grants.findById(code.grantId)),
                  TE.flatMap((grant): TE.TaskEither<OAuthError, Grant> =>
                    grant !== undefined && isGrantLive(grant, now)
                      ? TE.right(grant)
                      : TE.left(badCode('grant ended')),
                  ),
                  TE.flatMap((grant) =>
                    issueTokens(
                      deps,
                      settings,
                      tx,
                    )({ grant, client: client.client, scopes: code.scopes, secretId: client.secretId }),
                  ),
                  TE.map((tokens) => ({ kind: 'issued', tokens }) as const),
                );
              }),
            ),
          ),
          TE.flatMap((exchange) => (exchange.kind === 'issued' ? TE.right(exchange.tokens) : replay(code))),
        ),
      ),
    );
  };
