import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../errors/api-error.js';
import { sessionUseToRecord, type ApiKey, type ApiKeyKind, type Principal } from '../model/api-key.js';
import {
  credentialDigest,
  credentialKindOf,
  digestsEqual,
  looksLikeJwt,
  type CredentialDigest,
} from '../model/credential.js';
import type { TokenSigner } from '../ports/token-signer.js';
import { jwtDigestOf } from './oauth/presented-token.js';
import { makeAudienceCheck } from '../model/resource.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { User } from '../model/user.js';
import type { Ports } from '../ports/index.js';
import { asTask, tryPort, type Outcome } from './support.js';

/** Which API-key kinds a caller accepts: browser pages take only session tokens (docs/http-api.md#routes). */
export type AcceptedKinds = readonly ApiKeyKind[];

interface Presented {
  readonly kind: ApiKeyKind;
  readonly digest: CredentialDigest;
}

const presentedDigest = (token: string, accepted: AcceptedKinds): E.Either<ApiError, Presented> => {
  const kind = credentialKindOf(token);
  if (kind !== 'session' && kind !== 'access') return E.left(ApiErrors.unauthorized('malformed'));
  if (!accepted.includes(kind)) return E.left(ApiErrors.unauthorized('unknown'));
  const digest = credentialDigest(kind, token);
  return digest === undefined ? E.left(ApiErrors.unauthorized('malformed')) : E.right({ kind, digest });
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
          ...(key.kind === 'session' ? { authenticatedAt: key.createdAt } : {}),
        });

/**
 * A presented API key to the principal it stands for, or a 401 saying what was wrong with it
 * (malformed, unknown, expired, revoked), or a 403 `insufficient_scope` naming `routeScope` for a
 * valid token that acts for no user. Plain `async` code over `Either` rather than a
 * `TaskEither` pipeline: it runs on every authenticated request.
 *
 * @see RFC 6750 §3.1, docs/http-api.md#bearer-tokens
 */
export const makeAuthenticate = (deps: Pick<Ports, 'apiKeys' | 'users' | 'clock'>, signer?: TokenSigner) => {
  const audienceCovers = makeAudienceCheck();

  /** An RFC 9068 JWT access token this server signed: looked up by its `jti` (docs/openid-connect.md#jwt-access-tokens). */
  const presentedJwt = async (
    token: string,
    accepted: AcceptedKinds,
  ): Promise<E.Either<ApiError, Presented>> => {
    if (!accepted.includes('access')) return E.left(ApiErrors.unauthorized('unknown'));
    const digest = await jwtDigestOf(token, signer);
    return digest === undefined
      ? E.left(ApiErrors.unauthorized('unknown'))
      : E.right({ kind: 'access', digest });
  };

  const authenticate = async (
    token: string,
    accepted: AcceptedKinds = ['session', 'access'],
    routeUrl?: string,
    routeScope: string = SCOPE_ALL,
  ): Outcome<ApiError, Principal> => {
    const presented = looksLikeJwt(token)
      ? await presentedJwt(token, accepted)
      : presentedDigest(token, accepted);
    if (E.isLeft(presented)) return presented;
    const { kind, digest } = presented.right;
    const found = await tryPort(() => deps.apiKeys.findByDigest(digest));
    if (E.isLeft(found)) return found;
    const now = deps.clock.now();
    const checked = checkApiKey(digest, kind, now)(found.right);
    if (E.isLeft(checked)) return checked;
    const key = checked.right;
    // RFC 8707: a token bound to a resource is good only under it (the issuer covers everything).
    if (key.audience !== undefined && routeUrl !== undefined && !audienceCovers(key.audience, routeUrl))
      return E.left(ApiErrors.unauthorized('wrong_audience'));
    // A client credentials token acts for no user, and every route here acts as one: it holds
    // none of the scopes they need (docs/http-api.md#client-credentials-grant).
    const { userId } = key;
    if (userId === undefined) return E.left(ApiErrors.insufficientScope(routeScope));
    const user = await tryPort(() => deps.users.findById(userId));
    if (E.isLeft(user)) return user;
    const principal = toPrincipal(key)(user.right);
    if (E.isRight(principal) && sessionUseToRecord(key, now)) {
      // For the console's Sessions page (docs/http-api.md#web-console): at most once a minute.
      const recorded = await tryPort(() => deps.apiKeys.recordSessionUse(key.id, now));
      if (E.isLeft(recorded)) return recorded;
    }
    return principal;
  };

  return asTask(authenticate);
};
