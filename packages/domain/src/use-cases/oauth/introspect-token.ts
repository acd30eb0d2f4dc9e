import * as E from 'fp-ts/lib/Either.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import { publicClientId, type ClientId } from '../../model/client.js';
import type { ApiKey } from '../../model/api-key.js';
import type { RefreshToken } from '../../model/authorization.js';
import { isGrantLive } from '../../model/grant.js';
import type { UserId } from '../../model/ids.js';
import type { User } from '../../model/user.js';
import type { Ports } from '../../ports/index.js';
import { asTask, oauthPortFailure, tryPort, type Outcome } from '../support.js';
import type {
  AuthenticateClient,
  AuthenticatedClient,
  PresentedClientCredentials,
} from './authenticate-client.js';
import type { TokenSigner } from '../../ports/token-signer.js';
import { findPresentedToken } from './presented-token.js';

export interface IntrospectionRequest {
  readonly credentials: PresentedClientCredentials;
  readonly token?: string;
}

/** RFC 7662 §2.2 response; `{active: false}` says nothing else. */
export type Introspection =
  | { readonly active: false }
  | {
      readonly active: true;
      /** The public `client_id`: a metadata document client's URL (docs/http-api.md#client-id-metadata-documents). */
      readonly clientId: string;
      /** Absent for a token of the client credentials grant, which has no user. */
      readonly username?: string;
      /**
       * The user's id; for a token with no user, the client's id (RFC 9068 §2.2: the subject of a
       * client credentials token is the client; docs/http-api.md#client-credentials-grant).
       */
      readonly sub: string;
      readonly scope: string;
      readonly aud?: string;
      readonly exp: number;
      readonly iat: number;
      readonly tokenType: 'Bearer';
    };

const INACTIVE: Introspection = { active: false };
const ACTIVE_FALSE: E.Either<never, Introspection> = E.right(INACTIVE);
const NOTHING: E.Either<never, undefined> = E.right(undefined);

interface TokenFacts {
  readonly clientId: ClientId;
  /** Absent for a token of the client credentials grant. */
  readonly userId: UserId | undefined;
  readonly scopes: readonly string[];
  readonly audience: string | undefined;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/**
 * RFC 7662 introspection for confidential clients. Access and refresh tokens only; every other
 * credential is `{active: false}`. A client sees its own tokens; an owner-created app with
 * `introspect_any` sees every client's (docs/http-api.md#introspection).
 */
export const makeIntrospectToken = (
  deps: Pick<Ports, 'clients' | 'clientSecrets' | 'apiKeys' | 'refreshTokens' | 'grants' | 'users' | 'clock'>,
  authenticateClient: AuthenticateClient,
  signer?: TokenSigner,
) => {
  const mayInspect = (caller: AuthenticatedClient, owner: ClientId): boolean =>
    owner === caller.client.id || (caller.client.introspectAny && !caller.client.dynamicallyRegistered);

  /** An access token's facts while it is neither revoked nor expired. */
  const liveAccessToken = (key: ApiKey, now: Date): E.Either<never, TokenFacts | undefined> =>
    key.clientId !== undefined && key.revokedAt === undefined && key.expiresAt.getTime() > now.getTime()
      ? E.right({
          clientId: key.clientId,
          userId: key.userId,
          scopes: key.scopes,
          audience: key.audience,
          createdAt: key.createdAt,
          expiresAt: key.expiresAt,
        })
      : NOTHING;

  /** A refresh token's facts while it is current (neither revoked, rotated nor expired) and its grant live. */
  const liveRefreshToken = async (
    token: RefreshToken,
    now: Date,
  ): Outcome<OAuthError, TokenFacts | undefined> => {
    if (
      token.revokedAt !== undefined ||
      token.rotatedAt !== undefined ||
      token.expiresAt.getTime() <= now.getTime()
    )
      return NOTHING;
    const grant = await tryPort(() => deps.grants.findById(token.grantId), oauthPortFailure);
    if (E.isLeft(grant)) return grant;
    return grant.right !== undefined && isGrantLive(grant.right, now)
      ? E.right({
          clientId: token.clientId,
          userId: token.userId,
          scopes: token.scopes,
          audience: token.resource,
          createdAt: token.createdAt,
          expiresAt: token.expiresAt,
        })
      : NOTHING;
  };

  /** The live facts of an access or refresh token, or `undefined` for anything else. */
  const liveFacts = async (token: string, now: Date): Outcome<OAuthError, TokenFacts | undefined> => {
    const found = await findPresentedToken(deps, token, signer);
    if (E.isLeft(found)) return found;
    const stored = found.right;
    if (stored === undefined) return NOTHING;
    return stored.kind === 'access' ? liveAccessToken(stored.key, now) : liveRefreshToken(stored.token, now);
  };

  /**
   * The RFC 7662 answer for live facts and the user they belong to (gone: inactive). A token with
   * no user names its client as `sub` and has no `username`.
   */
  const describe = (facts: TokenFacts, user: User | undefined, clientId: string): Introspection =>
    user === undefined && facts.userId !== undefined
      ? INACTIVE
      : {
          active: true,
          clientId,
          ...(user === undefined ? { sub: clientId } : { username: user.username, sub: user.id }),
          scope: facts.scopes.join(' '),
          ...(facts.audience === undefined ? {} : { aud: facts.audience }),
          exp: seconds(facts.expiresAt),
          iat: seconds(facts.createdAt),
          tokenType: 'Bearer',
        };

  /**
   * The `client_id` to report: the caller's own, or (for an `introspect_any` caller) the token's
   * client's public one, its metadata document URL when it has one.
   */
  const tokenClientId = async (caller: AuthenticatedClient, owner: ClientId): Outcome<OAuthError, string> => {
    if (owner === caller.client.id) return E.right(owner);
    const client = await tryPort(() => deps.clients.findById(owner), oauthPortFailure);
    if (E.isLeft(client)) return client;
    return E.right(client.right === undefined ? owner : publicClientId(client.right));
  };

  const introspect = async (request: IntrospectionRequest): Outcome<OAuthError, Introspection> => {
    const caller = await authenticateClient(request.credentials)();
    if (E.isLeft(caller)) return caller;
    if (caller.right.client.clientType !== 'confidential')
      return E.left(oauthError('invalid_client', 'Introspection is for confidential clients.'));
    if (request.token === undefined)
      return E.left(oauthError('invalid_request', 'The token parameter is missing.'));
    const facts = await liveFacts(request.token, deps.clock.now());
    if (E.isLeft(facts)) return facts;
    if (facts.right === undefined || !mayInspect(caller.right, facts.right.clientId)) return ACTIVE_FALSE;
    const found = facts.right;
    const clientId = await tokenClientId(caller.right, found.clientId);
    if (E.isLeft(clientId)) return clientId;
    const { userId } = found;
    if (userId === undefined) return E.right(describe(found, undefined, clientId.right));
    const user = await tryPort(() => deps.users.findById(userId), oauthPortFailure);
    return E.isLeft(user) ? user : E.right(describe(found, user.right, clientId.right));
  };

  return asTask(introspect);
};
