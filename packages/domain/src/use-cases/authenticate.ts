import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import type { ApiKey, ApiKeyKind, Principal } from '../model/api-key.js';
import {
  credentialDigest,
  credentialKindOf,
  digestsEqual,
  type CredentialDigest,
} from '../model/credential.js';
import { audienceCovers } from '../model/resource.js';
import type { User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import { decide, fromPort } from './support.js';

/** Which API-key kinds a caller accepts: browser pages take only session tokens (CONTRACT §1). */
export type AcceptedKinds = readonly ApiKeyKind[];

const presentedDigest = (token: string, accepted: AcceptedKinds): E.Either<ApiError, CredentialDigest> => {
  const kind = credentialKindOf(token);
  if (kind !== 'session' && kind !== 'access') return E.left(ApiErrors.unauthorized('malformed'));
  if (!accepted.includes(kind)) return E.left(ApiErrors.unauthorized('unknown'));
  const digest = credentialDigest(kind, token);
  return digest === undefined ? E.left(ApiErrors.unauthorized('malformed')) : E.right(digest);
};

/** Pure check of a stored key against the presented digest and the time. */
export const checkApiKey =
  (digest: CredentialDigest, expectedKind: ApiKeyKind | undefined, now: Date) =>
  (key: ApiKey | undefined): E.Either<ApiError, ApiKey> => {
    if (key === undefined || !digestsEqual(key.digest, digest) || key.kind !== expectedKind) {
      return E.left(ApiErrors.unauthorized('unknown'));
    }
    if (key.revokedAt !== undefined) return E.left(ApiErrors.unauthorized('revoked'));
    if (key.expiresAt.getTime() <= now.getTime()) return E.left(ApiErrors.unauthorized('expired'));
    return E.right(key);
  };

const toPrincipal =
  (key: ApiKey) =>
  (user: User | undefined): E.Either<ApiError, Principal> =>
    user === undefined
      ? E.left(ApiErrors.unauthorized('unknown'))
      : E.right({
          user,
          apiKeyId: key.id,
          kind: key.kind,
          scopes: key.scopes,
          ...(key.audience === undefined ? {} : { audience: key.audience }),
          ...(key.clientId === undefined ? {} : { clientId: key.clientId }),
        });

/**
 * A presented API key to the principal it stands for, or a 401 saying what was wrong with it
 * (malformed, unknown, expired, revoked).
 *
 * @see RFC 6750 §3.1, CONTRACT §8
 */
export const makeAuthenticate =
  (deps: Pick<Ports, 'apiKeys' | 'users' | 'clock'>) =>
  (
    token: string,
    accepted: AcceptedKinds = ['session', 'access'],
    routeUrl?: string,
  ): TE.TaskEither<ApiError, Principal> =>
    pipe(
      decide(presentedDigest(token, accepted)),
      TE.flatMap((digest) =>
        pipe(
          fromPort(() => deps.apiKeys.findByDigest(digest)),
          TE.flatMap((key) =>
            decide(checkApiKey(digest, credentialKindOf(token) as ApiKeyKind, deps.clock.now())(key)),
          ),
        ),
      ),
      // RFC 8707: a token bound to a resource is good only under it (the issuer covers everything).
      TE.flatMap((key) =>
        key.audience === undefined || routeUrl === undefined || audienceCovers(key.audience, routeUrl)
          ? TE.right(key)
          : TE.left(ApiErrors.unauthorized('wrong_audience')),
      ),
      TE.flatMap((key) =>
        pipe(
          fromPort(() => deps.users.findById(key.userId)),
          TE.flatMap((user) => decide(toPrincipal(key)(user))),
        ),
      ),
    );
