import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { ClientId } from '../../model/client.js';
import { credentialDigest, credentialKindOf } from '../../model/credential.js';
import { isGrantLive } from '../../model/grant.js';
import type { UserId } from '../../model/ids.js';
import type { Ports } from '../../ports/index.js';
import { fromPortOAuth } from '../support.js';
import {
  makeAuthenticateClient,
  type AuthenticatedClient,
  type PresentedClientCredentials,
} from './authenticate-client.js';

export interface IntrospectionRequest {
  readonly credentials: PresentedClientCredentials;
  readonly token?: string;
}

/** RFC 7662 §2.2 response; `{active: false}` says nothing else. */
export type Introspection =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly clientId: ClientId;
      readonly username: string;
      readonly sub: UserId;
      readonly scope: string;
      readonly aud?: string;
      readonly exp: number;
      readonly iat: number;
      readonly tokenType: 'Bearer';
    };

const INACTIVE: Introspection = { active: false };

interface TokenFacts {
  readonly clientId: ClientId;
  readonly userId: UserId;
  readonly scopes: readonly string[];
  readonly audience: string | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * RFC 7662 introspection for confidential clients. Access and refresh tokens only; every other
 * credential is `{active: false}`. A client sees its own tokens; an owner-created app with
 * `introspect_any` sees every client's (CONTRACT §6).
 */
export const makeIntrospectToken = (
  deps: Pick<Ports, 'clients' | 'clientSecrets' | 'apiKeys' | 'refreshTokens' | 'grants' | 'users' | 'clock'>,
) => {
  const authenticateClient = makeAuthenticateClient(deps);

  const mayInspect = (caller: AuthenticatedClient, owner: ClientId): boolean =>
    owner === caller.client.id || (caller.client.introspectAny && !caller.client.dynamicallyRegistered);

  const liveFacts = (token: string, now: Date): TE.TaskEither<OAuthError, TokenFacts | undefined> => {
    const kind = credentialKindOf(token);
    if (kind === 'access') {
      const digest = credentialDigest('access', token);
      if (digest === undefined) return TE.right(undefined);
      return pipe(
        fromPortOAuth(() => deps.apiKeys.findByDigest(digest)),
        TE.map((key) =>
          key?.kind === 'access' &&
          key.clientId !== undefined &&
          key.revokedAt === undefined &&
          key.expiresAt.getTime() > now.getTime()
            ? {
                clientId: key.clientId,
                userId: key.userId,
                scopes: key.scopes,
                audience: key.audience,
                createdAt: key.createdAt,
                expiresAt: key.expiresAt,
              }
            : undefined,
        ),
      );
    }
    if (kind === 'refresh') {
      const digest = credentialDigest('refresh', token);
      if (digest === undefined) return TE.right(undefined);
      return pipe(
        fromPortOAuth(() => deps.refreshTokens.findByDigest(digest)),
        TE.flatMap((stored) =>
          stored === undefined ||
          stored.revokedAt !== undefined ||
          stored.rotatedAt !== undefined ||
          stored.expiresAt.getTime() <= now.getTime()
            ? TE.right(undefined)
            : pipe(
                fromPortOAuth(() => deps.grants.findById(stored.grantId)),
                TE.map((grant) =>
                  grant !== undefined && isGrantLive(grant, now)
                    ? {
                        clientId: stored.clientId,
                        userId: stored.userId,
                        scopes: stored.scopes,
                        audience: stored.resource,
                        createdAt: stored.createdAt,
                        expiresAt: stored.expiresAt,
                      }
                    : undefined,
                ),
              ),
        ),
      );
    }
    return TE.right(undefined);
  };

  return (request: IntrospectionRequest): TE.TaskEither<OAuthError, Introspection> =>
    pipe(
      authenticateClient(request.credentials),
      TE.flatMap((caller) =>
        caller.client.clientType === 'confidential'
          ? TE.right(caller)
          : TE.left(oauthError('invalid_client', 'Introspection is for confidential clients.')),
      ),
      TE.flatMap((caller) => {
        if (request.token === undefined)
          return TE.left(oauthError('invalid_request', 'The token parameter is missing.'));
        return pipe(
          liveFacts(request.token, deps.clock.now()),
          TE.flatMap((facts) =>
            facts === undefined || !mayInspect(caller, facts.clientId)
              ? TE.right(INACTIVE)
              : pipe(
                  fromPortOAuth(() => deps.users.findById(facts.userId)),
                  TE.map((user): Introspection =>
                    user === undefined
                      ? INACTIVE
                      : {
                          active: true,
                          clientId: facts.clientId,
                          username: user.username,
                          sub: user.id,
                          scope: facts.scopes.join(' '),
                          ...(facts.audience === undefined ? {} : { aud: facts.audience }),
                          exp: seconds(facts.expiresAt),
                          iat: seconds(facts.createdAt),
                          tokenType: 'Bearer',
                        },
                  ),
                ),
          ),
        );
      }),
    );
};
