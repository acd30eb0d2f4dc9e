import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../../errors/api-error.js';
import type { OAuthErrorCode } from '../../errors/oauth-error.js';
import type { Principal } from '../../model/api-key.js';
import type { AuthorizationCode, PendingAuthorization } from '../../model/authorization.js';
import type { ClientId, OAuthClient } from '../../model/client.js';
import { CREDENTIAL_BYTES, credentialDigest, digestsEqual, issueCredential } from '../../model/credential.js';
import type { Grant, GrantId } from '../../model/grant.js';
import { Uuid } from '../../model/ids.js';
import { isValidCodeChallenge } from '../../model/pkce.js';
import { findRegisteredRedirectUri } from '../../model/redirect-uri.js';
import { normaliseResource } from '../../model/resource.js';
import type { Ports } from '../../ports/index.js';
import { fromPort, inTransaction } from '../support.js';
import { checkAuthorizeText } from './authorize-text.js';
import { resolveScope } from './scopes.js';
import { addSeconds, PENDING_AUTHORIZATION_TTL_SECONDS, type OAuthSettings } from './settings.js';

/** Query parameters of `/oauth2/authorize`: every value of each name, empty values already dropped. */
export type AuthorizeParams = Readonly<Partial<Record<string, readonly string[]>>>;

/** Why the request cannot be answered to the client at all (RFC 6749 §4.1.2.1): shown on a page. */
export type UntrustedRequestReason =
  | 'missing_client_id'
  | 'duplicate_client_id'
  | 'unknown_client'
  | 'duplicate_redirect_uri'
  | 'unregistered_redirect_uri'
  | 'redirect_uri_required'
  | 'expired_request';

export interface ClientErrorResponse {
  readonly client: OAuthClient;
  readonly redirectUri: string;
  readonly error: OAuthErrorCode;
  readonly description: string;
  readonly state?: string;
  /**
   * A dynamically registered client this user never approved gets no automatic redirect: the
   * error is shown on a page with a link back (CONTRACT §5 step 4).
   */
  readonly showPage: boolean;
}

export type AuthorizeOutcome =
  | { readonly kind: 'error_page'; readonly reason: UntrustedRequestReason }
  | { readonly kind: 'login' }
  | ({ readonly kind: 'client_error' } & ClientErrorResponse)
  | {
      readonly kind: 'consent';
      readonly client: OAuthClient;
      readonly redirectUri: string;
      readonly scopes: readonly string[];
      /** The single-use form fields. */
      readonly requestId: string;
      readonly csrfToken: string;
    };

/** The parts of the request found before the user is known: client and redirect URI (steps 1–2). */
interface Target {
  readonly client: OAuthClient;
  readonly redirectUri: string;
  readonly redirectUriSent: boolean;
}

const single = (params: AuthorizeParams, name: string): E.Either<'duplicate', string | undefined> => {
  const values = params[name] ?? [];
  return values.length > 1 ? E.left('duplicate') : E.right(values[0]);
};

const findTarget =
  (deps: Pick<Ports, 'clients'>) =>
  (params: AuthorizeParams): TE.TaskEither<ApiError, E.Either<UntrustedRequestReason, Target>> => {
    const clientId = single(params, 'client_id');
    if (E.isLeft(clientId)) return TE.right(E.left('duplicate_client_id'));
    const id = clientId.right;
    if (id === undefined) return TE.right(E.left('missing_client_id'));
    if (!Uuid.is(id)) return TE.right(E.left('unknown_client'));
    return pipe(
      fromPort(() => deps.clients.findById(id.toLowerCase() as ClientId)),
      TE.map((client): E.Either<UntrustedRequestReason, Target> => {
        if (client === undefined) return E.left('unknown_client');
        const presented = single(params, 'redirect_uri');
        if (E.isLeft(presented)) return E.left('duplicate_redirect_uri');
        if (presented.right === undefined) {
          const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
          return only === undefined
            ? E.left('redirect_uri_required')
            : E.right({ client, redirectUri: only, redirectUriSent: false });
        }
        return findRegisteredRedirectUri(client.redirectUris, presented.right) === undefined
          ? E.left('unregistered_redirect_uri')
          : E.right({ client, redirectUri: presented.right, redirectUriSent: true });
      }),
    );
  };

interface ValidRequest {
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly resourceRequested: boolean;
  readonly codeChallenge: string;
  readonly state?: string;
}

type RequestProblem = {
  readonly error: OAuthErrorCode;
  readonly description: string;
  readonly state?: string;
};

/** Step 4: the checks whose failures go back to the client (RFC 6749 §4.1.2.1, RFC 7636, RFC 8707). */
export const checkAuthorizeParams = (
  params: AuthorizeParams,
  client: OAuthClient,
  settings: OAuthSettings,
): E.Either<RequestProblem, ValidRequest> => {
  const stateParam = single(params, 'state');
  const state = E.isRight(stateParam) ? stateParam.right : undefined;
  const problem = (error: OAuthErrorCode, description: string): E.Either<RequestProblem, never> =>
    E.left({ error, description, ...(state === undefined ? {} : { state }) });

  if ((params.resource ?? []).length > 1)
    return problem('invalid_target', 'Only one resource may be requested.');
  for (const name of ['response_type', 'state', 'scope', 'code_challenge', 'code_challenge_method']) {
    if ((params[name] ?? []).length > 1)
      return problem('invalid_request', `The ${name} parameter was given more than once.`);
  }
  const one = (name: string): string | undefined => params[name]?.[0];
  const responseType = one('response_type');
  if (responseType === undefined)
    return problem('invalid_request', 'The response_type parameter is missing.');
  if (responseType !== 'code')
    return problem('unsupported_response_type', 'Only response_type=code is supported.');
  const challenge = one('code_challenge');
  if (challenge === undefined)
    return problem('invalid_request', 'PKCE is required: code_challenge is missing.');
  if (!isValidCodeChallenge(challenge)) return problem('invalid_request', 'The code_challenge is malformed.');
  if (one('code_challenge_method') !== 'S256') {
    return problem('invalid_request', 'code_challenge_method must be S256.');
  }
  const scopes = resolveScope(one('scope'), client, settings);
  if (E.isLeft(scopes))
    return problem('invalid_scope', 'The requested scope exceeds what the client may get.');
  const requested = one('resource');
  const resource = requested === undefined ? settings.issuer : normaliseResource(requested);
  if (resource === undefined || !settings.allowedResources.includes(resource)) {
    return problem('invalid_target', 'The resource is not served by this authorization server.');
  }
  return E.right({
    scopes: scopes.right,
    resource,
    resourceRequested: requested !== undefined,
    codeChallenge: challenge,
    ...(state === undefined ? {} : { state }),
  });
};

/**
 * `GET /oauth2/authorize` (RFC 6749 §4.1.1, CONTRACT §5 steps 1–5): decides between an error page
 * (bad client or redirect URI: never redirect), the login page, an error sent back to the client,
 * and the consent page, for which it stores a single-use pending request.
 */
export const makeStartAuthorization =
  (
    deps: Pick<Ports, 'clients' | 'grants' | 'pendingAuthorizations' | 'clock' | 'random'>,
    settings: OAuthSettings,
  ) =>
  (params: AuthorizeParams, session: Principal | undefined): TE.TaskEither<ApiError, AuthorizeOutcome> =>
    pipe(
      findTarget(deps)(params),
      TE.flatMap((target) => {
        if (E.isLeft(target)) return TE.right({ kind: 'error_page', reason: target.left } as const);
        if (session === undefined) return TE.right({ kind: 'login' } as const);
        const { client, redirectUri } = target.right;
        const checked = E.flatMap(() => checkAuthorizeParams(params, client, settings))(
          checkAuthorizeText(params),
        );
        if (E.isLeft(checked)) {
          return pipe(
            client.dynamicallyRegistered
              ? fromPort(() => deps.grants.hasApproved(session.user.id, client.id))
              : TE.right(true),
            TE.map((approvedBefore): AuthorizeOutcome => ({
              kind: 'client_error',
              client,
              redirectUri,
              ...checked.left,
              showPage: !approvedBefore,
            })),
          );
        }
        const now = deps.clock.now();
        const request = issueCredential('consent', deps.random.bytes(CREDENTIAL_BYTES));
        const csrf = issueCredential('csrf', deps.random.bytes(CREDENTIAL_BYTES));
        const pending: PendingAuthorization = {
          digest: request.digest,
          csrfDigest: csrf.digest,
          sessionId: session.apiKeyId,
          userId: session.user.id,
          clientId: client.id,
          redirectUri,
          redirectUriSent: target.right.redirectUriSent,
          ...checked.right,
          createdAt: now,
          expiresAt: addSeconds(now, PENDING_AUTHORIZATION_TTL_SECONDS),
        };
        return pipe(
          fromPort(() => deps.pendingAuthorizations.insert(pending)),
          TE.map((): AuthorizeOutcome => ({
            kind: 'consent',
            client,
            redirectUri,
            scopes: pending.scopes,
            requestId: request.token,
            csrfToken: csrf.token,
          })),
        );
      }),
    );

export interface ConsentAnswer {
  readonly requestId?: string;
  readonly csrfToken?: string;
  readonly approve: boolean;
}

export type ConsentOutcome =
  | { readonly kind: 'forbidden' }
  | { readonly kind: 'error_page'; readonly reason: UntrustedRequestReason }
  | {
      readonly kind: 'redirect';
      readonly redirectUri: string;
      readonly params: Readonly<Record<string, string>>;
    };

/** The session's answer must come with the form's CSRF token, from the same session. */
const checkAnswer = (
  pending: PendingAuthorization | undefined,
  answer: ConsentAnswer,
  session: Principal,
  now: Date,
): ConsentOutcome | undefined => {
  if (pending === undefined || pending.expiresAt.getTime() <= now.getTime()) {
    return { kind: 'error_page', reason: 'expired_request' };
  }
  const csrfDigest = answer.csrfToken === undefined ? undefined : credentialDigest('csrf', answer.csrfToken);
  if (
    pending.sessionId !== session.apiKeyId ||
    csrfDigest === undefined ||
    !digestsEqual(csrfDigest, pending.csrfDigest)
  ) {
    return { kind: 'forbidden' };
  }
  return undefined;
};

/**
 * `POST /oauth2/authorize` (CONTRACT §5 steps 5–6): checks the CSRF token (403 and nothing issued
 * without it), takes the single-use pending request, re-checks that client and redirect URI
 * still exist, and answers with a code (one grant, one code, in one transaction) or
 * `access_denied`. Only the values bound in the pending request are used.
 */
export const makeDecideAuthorization =
  (
    deps: Pick<Ports, 'clients' | 'pendingAuthorizations' | 'transactor' | 'clock' | 'random'>,
    settings: OAuthSettings,
  ) =>
  (answer: ConsentAnswer, session: Principal): TE.TaskEither<ApiError, ConsentOutcome> => {
    const now = deps.clock.now();
    const digest = answer.requestId === undefined ? undefined : credentialDigest('consent', answer.requestId);
    const withIss = (params: Record<string, string>, state: string | undefined): Record<string, string> => ({
      ...params,
      ...(state === undefined ? {} : { state }),
      iss: settings.issuer,
    });
    return pipe(
      digest === undefined
        ? TE.right(undefined)
        : fromPort(() => deps.pendingAuthorizations.findByDigest(digest)),
      TE.flatMap((pending) => {
        const refused = checkAnswer(pending, answer, session, now);
        if (refused !== undefined || pending === undefined)
          return TE.right(refused ?? ({ kind: 'forbidden' } as const));
        return inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.pendingAuthorizations.take(pending.digest)),
            TE.flatMap((taken) =>
              taken === undefined
                ? TE.right({ taken: false, client: undefined })
                : pipe(
                    fromPort(() => tx.clients.findById(taken.clientId)),
                    TE.map((client) => ({ taken: true, client })),
                  ),
            ),
            TE.flatMap(({ taken, client }): TE.TaskEither<ApiError, ConsentOutcome> => {
              // Single use: a second answer to the same form finds it gone.
              if (!taken) return TE.right({ kind: 'error_page', reason: 'expired_request' });
              if (client === undefined) return TE.right({ kind: 'error_page', reason: 'unknown_client' });
              if (findRegisteredRedirectUri(client.redirectUris, pending.redirectUri) === undefined) {
                return TE.right({ kind: 'error_page', reason: 'unregistered_redirect_uri' });
              }
              if (!answer.approve) {
                return TE.right({
                  kind: 'redirect',
                  redirectUri: pending.redirectUri,
                  params: withIss(
                    { error: 'access_denied', error_description: 'The user denied the request.' },
                    pending.state,
                  ),
                });
              }
              const grant: Grant = {
                id: deps.random.uuid() as GrantId,
                clientId: client.id,
                userId: pending.userId,
                scopes: pending.scopes,
                resource: pending.resource,
                createdAt: now,
                expiresAt: addSeconds(now, settings.grantMaxTtlSeconds),
              };
              const issued = issueCredential('code', deps.random.bytes(CREDENTIAL_BYTES));
              const code: AuthorizationCode = {
                id: deps.random.uuid(),
                digest: issued.digest,
                grantId: grant.id,
                clientId: client.id,
                userId: pending.userId,
                redirectUri: pending.redirectUri,
                redirectUriSent: pending.redirectUriSent,
                scopes: pending.scopes,
                resource: pending.resource,
                resourceRequested: pending.resourceRequested,
                codeChallenge: pending.codeChallenge,
                createdAt: now,
                expiresAt: addSeconds(now, settings.codeTtlSeconds),
              };
              return pipe(
                fromPort(() => tx.grants.insert(grant)),
                TE.flatMap(() => fromPort(() => tx.codes.insert(code))),
                TE.map(() => ({
                  kind: 'redirect' as const,
                  redirectUri: pending.redirectUri,
                  params: withIss({ code: issued.token }, pending.state),
                })),
              );
            }),
          ),
        );
      }),
    );
  };

/** Appends response parameters to a redirect URI, keeping its own query (RFC 6749 §4.1.2). */
export const redirectWith = (redirectUri: string, params: Readonly<Record<string, string>>): string =>
  `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;
