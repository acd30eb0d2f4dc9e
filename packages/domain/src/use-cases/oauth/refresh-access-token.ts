import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { RefreshToken } from '../../model/authorization.js';
import { credentialDigest } from '../../model/credential.js';
import { isGrantLive, type Grant } from '../../model/grant.js';
import { normaliseResource } from '../../model/resource.js';
import { parseScope } from '../../model/scope.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import { fromPortOAuth, inOAuthTransaction } from '../support.js';
import type { AuthenticatedClient } from './authenticate-client.js';
import { issueTokens, type TokenResponse } from './issue-tokens.js';
import { revokeGrantAudited } from './revoke-grant.js';
import { addSeconds, type OAuthSettings } from './settings.js';

export interface RefreshGrantParams {
  readonly refreshToken?: string;
  readonly scope?: string;
  readonly resource?: string;
}

const badRefresh = (detail: string): OAuthError =>
  oauthError('invalid_grant', 'The refresh token is invalid, expired or revoked.', { detail });

interface Checked {
  readonly token: RefreshToken;
  readonly scopes: readonly string[];
}

/** Checks that leave the token and its grant untouched when they fail (CONTRACT §5). */
export const checkRefreshRequest = (
  client: AuthenticatedClient,
  params: RefreshGrantParams,
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

type Rotation = { readonly kind: 'issued'; readonly tokens: TokenResponse } | { readonly kind: 'reused' };

/**
 * `grant_type=refresh_token` with rotation (RFC 6749 §6, RFC 9700 §4.14.2, CONTRACT §5). The
 * presented token is rotated by one atomic statement in the transaction that issues the new pair.
 * A rotated token presented again by its client within the grace window is honoured once (so that
 * parallel refreshes of an MCP client do not sign the user out); any other reuse revokes the grant.
 */
export const makeRefreshAccessToken =
  (
    deps: Pick<Ports, 'refreshTokens' | 'grants' | 'transactor' | 'clock' | 'random'>,
    settings: OAuthSettings,
  ) =>
  (
    client: AuthenticatedClient,
    params: RefreshGrantParams,
    meta: RequestMeta,
  ): TE.TaskEither<OAuthError, TokenResponse> => {
    if (params.refreshToken === undefined) {
      return TE.left(oauthError('invalid_request', 'The refresh_token parameter is missing.'));
    }
    const digest = credentialDigest('refresh', params.refreshToken);
    const now = deps.clock.now();
    const graceStart = addSeconds(now, -settings.refreshReuseGraceSeconds);
    const revokeGrant = (token: RefreshToken): TE.TaskEither<OAuthError, never> =>
      pipe(
        revokeGrantAudited(
          deps,
          meta,
        )({
          grantId: token.grantId,
          status: 400,
          diff: { client_id: { old: token.clientId }, reason: { new: 'refresh_token_reuse' } },
        }),
        TE.flatMap(() => TE.left(badRefresh('rotated refresh token reused; grant revoked'))),
      );
    return pipe(
      digest === undefined
        ? TE.right(undefined)
        : fromPortOAuth(() => deps.refreshTokens.findByDigest(digest)),
      TE.flatMap((token) => TE.fromEither(checkRefreshRequest(client, params, token, now))),
      TE.flatMap(({ token, scopes }) =>
        pipe(
          inOAuthTransaction(deps.transactor)((tx) =>
            pipe(
              // The first use rotates. A use that finds it rotated (earlier, or by a concurrent
              // request that won) may spend the single grace replay while in the window.
              fromPortOAuth(
                async () =>
                  (token.rotatedAt === undefined && (await tx.refreshTokens.rotate(token.id, now))) ||
                  (settings.refreshReuseGraceSeconds > 0 &&
                    (await tx.refreshTokens.useGrace(token.id, graceStart))),
              ),
              TE.flatMap((accepted): TE.TaskEither<OAuthError, Rotation> => {
                if (!accepted) return TE.right({ kind: 'reused' });
                return pipe(
                  fromPortOAuth(() => tx.grants.findById(token.grantId)),
                  TE.flatMap((grant): TE.TaskEither<OAuthError, Grant> =>
                    grant !== undefined && isGrantLive(grant, now)
                      ? TE.right(grant)
                      : TE.left(badRefresh('grant ended')),
                  ),
                  TE.flatMap((grant) =>
                    issueTokens(
                      deps,
                      settings,
                      tx,
                    )({ grant, client: client.client, scopes, secretId: client.secretId }),
                  ),
                  TE.map((tokens) => ({ kind: 'issued', tokens }) as const),
                );
              }),
            ),
          ),
          TE.flatMap((rotation) =>
            rotation.kind === 'issued' ? TE.right(rotation.tokens) : revokeGrant(token),
          ),
        ),
      ),
    );
  };
