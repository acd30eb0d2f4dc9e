import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../../errors/api-error.js';
import type { OAuthErrorCode } from '../../errors/oauth-error.js';
import type { Principal } from '../../model/api-key.js';
import type { AuthorizationCode, PendingAuthorization } from '../../model/authorization.js';
import { isSelfDescribed, publicClientId, type ClientId, type OAuthClient } from '../../model/client.js';
import { isClientIdUrl } from '../../model/client-metadata-document.js';
import { CREDENTIAL_BYTES, credentialDigest, digestsEqual, issueCredential } from '../../model/credential.js';
import type { Grant, GrantId } from '../../model/grant.js';
import { Uuid } from '../../model/ids.js';
import { isValidCodeChallenge } from '../../model/pkce.js';
import { findRegisteredRedirectUri, locationLength } from '../../model/redirect-uri.js';
import { normaliseResource } from '../../model/resource.js';
import { SCOPE_OPENID } from '../../model/scope.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { auditEntry } from '../audit-entry.js';
import { asTask, portFailure, tryPort, tryTransaction, type Outcome } from '../support.js';
import type { MetadataDocumentClients } from './metadata-document-clients.js';
import { checkAuthorizeText } from './authorize-text.js';
import { resolveScope } from './scopes.js';
import {
  addSeconds,
  MAX_LOCATION_LENGTH,
  MAX_PENDING_AUTHORIZATIONS_PER_SESSION,
  MAX_STATE_LENGTH,
  PENDING_AUTHORIZATION_TTL_SECONDS,
  type OAuthSettings,
} from './settings.js';

/** Query parameters of `/oauth2/authorize`: every value of each name, empty values already dropped. */
export type AuthorizeParams = Readonly<Partial<Record<string, readonly string[]>>>;

/** Why the request cannot be answered to the client at all (RFC 6749 §4.1.2.1): shown on a page. */
export type UntrustedRequestReason =
  | 'missing_client_id'
  | 'duplicate_client_id'
  | 'unknown_client'
  /** A client id URL on the operator's block list (docs/http-api.md#client-id-metadata-documents). */
  | 'blocked_client'
  /** A client id URL whose metadata document could not be fetched or is invalid. */
  | 'client_metadata_unavailable'
  | 'duplicate_redirect_uri'
  | 'unregistered_redirect_uri'
  | 'redirect_uri_required'
  | 'expired_request'
  /** A `state` too long to send back in a redirect (`MAX_STATE_LENGTH`), or too large a request. */
  | 'oversized_request';

export interface ClientErrorResponse {
  readonly client: OAuthClient;
  readonly redirectUri: string;
  readonly error: OAuthErrorCode;
  readonly description: string;
  readonly state?: string;
  /**
   * A dynamically registered client this user never approved gets no automatic redirect: the
   * error is shown on a page with a link back (docs/http-api.md#authorize step 4).
   */
  readonly showPage: boolean;
}

export type AuthorizeOutcome =
  | { readonly kind: 'error_page'; readonly reason: UntrustedRequestReason }
  | {
      readonly kind: 'login';
      /**
       * The user is signed in but must sign in again (`prompt=login`, or a session older than
       * `max_age`; OpenID Connect Core §3.1.2.1): the request comes back with
       * `AUTH_AFTER_PARAM` set to this time, which a newer sign-in satisfies.
       */
      readonly reauthenticateAfter?: Date;
    }
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

/**
 * The client a `client_id` names: a registered one by its UUID, or, when metadata documents are
 * on, the client its document URL describes (docs/http-api.md#client-id-metadata-documents). A
 * metadata document client is known by its URL only, never by its stored id.
 */
const findClient = async (
  deps: Pick<Ports, 'clients'>,
  metadataDocuments: MetadataDocumentClients | undefined,
  id: string,
): Promise<E.Either<ApiError, E.Either<UntrustedRequestReason, OAuthClient>>> => {
  if (isClientIdUrl(id) && metadataDocuments !== undefined) {
    const resolved = await metadataDocuments.resolve(id);
    if (E.isRight(resolved)) return E.right(resolved);
    const failure = resolved.left;
    if (failure.kind === 'storage') return E.left(portFailure(failure.cause));
    return E.right(E.left(failure.kind === 'blocked' ? 'blocked_client' : 'client_metadata_unavailable'));
  }
  if (!Uuid.is(id)) return E.right(E.left('unknown_client'));
  const found = await tryPort(() => deps.clients.findById(id.toLowerCase() as ClientId));
  if (E.isLeft(found)) return found;
  const client = found.right;
  return E.right(
    client === undefined || client.metadataDocumentUrl !== undefined
      ? E.left('unknown_client')
      : E.right(client),
  );
};

const findTarget = async (
  deps: Pick<Ports, 'clients'>,
  metadataDocuments: MetadataDocumentClients | undefined,
  params: AuthorizeParams,
): Promise<E.Either<ApiError, E.Either<UntrustedRequestReason, Target>>> => {
  const untrusted = (reason: UntrustedRequestReason) => E.right(E.left(reason));
  // Checked before anything else: the state goes back in a redirect, and the request itself in
  // the login redirect, so an oversized one gets no redirect at all.
  if ((params.state ?? []).some((state) => state.length > MAX_STATE_LENGTH))
    return untrusted('oversized_request');
  const clientId = single(params, 'client_id');
  if (E.isLeft(clientId)) return untrusted('duplicate_client_id');
  const id = clientId.right;
  if (id === undefined) return untrusted('missing_client_id');
  const found = await findClient(deps, metadataDocuments, id);
  if (E.isLeft(found)) return found;
  if (E.isLeft(found.right)) return untrusted(found.right.left);
  const client = found.right.right;
  const presented = single(params, 'redirect_uri');
  if (E.isLeft(presented)) return untrusted('duplicate_redirect_uri');
  if (presented.right === undefined) {
    const only = client.redirectUris.length === 1 ? client.redirectUris[0] : undefined;
    return only === undefined
      ? untrusted('redirect_uri_required')
      : E.right(E.right({ client, redirectUri: only, redirectUriSent: false }));
  }
  return findRegisteredRedirectUri(client.redirectUris, presented.right) === undefined
    ? untrusted('unregistered_redirect_uri')
    : E.right(E.right({ client, redirectUri: presented.right, redirectUriSent: true }));
};

/**
 * Added by the server to the authorize request it sends back through `/login` after asking for
 * a new sign-in: a session that signed in at or after this time (seconds since the epoch)
 * satisfies `prompt=login` and `max_age` (docs/openid-connect.md#authorization-request).
 */
export const AUTH_AFTER_PARAM = 'latchkey_auth_after';

/** Whether the session must sign in again before this request may be answered. */
const needsNewSignIn = (
  params: AuthorizeParams,
  prompt: readonly string[],
  maxAge: number | undefined,
  session: Principal,
  now: Date,
): boolean => {
  const signedIn = session.authenticatedAt?.getTime();
  if (signedIn === undefined) return false;
  const after = Number(params[AUTH_AFTER_PARAM]?.[0]);
  if (Number.isFinite(after) && signedIn >= after * 1000) return false;
  return prompt.includes('login') || (maxAge !== undefined && now.getTime() - signedIn > maxAge * 1000);
};

interface ValidRequest {
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly resourceRequested: boolean;
  readonly codeChallenge: string;
  readonly state?: string;
  readonly nonce?: string;
  /** OpenID Connect Core §3.1.2.1, in seconds. */
  readonly maxAge?: number;
}

type RequestProblem = {
  readonly error: OAuthErrorCode;
  readonly description: string;
  readonly state?: string;
};

/** The answer to `prompt=none` when a page would be needed (OpenID Connect Core §3.1.2.6). */
const promptNoneError = (
  error: 'login_required' | 'consent_required',
  params: AuthorizeParams,
): RequestProblem => {
  const state = params.state?.length === 1 ? params.state[0] : undefined;
  return {
    error,
    description:
      error === 'login_required' ? 'The user is not signed in.' : 'The user has to approve the request.',
    ...(state === undefined ? {} : { state }),
  };
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
  for (const name of [
    'response_type',
    'state',
    'scope',
    'code_challenge',
    'code_challenge_method',
    'nonce',
    'prompt',
    'max_age',
  ]) {
    if ((params[name] ?? []).length > 1)
      return problem('invalid_request', `The ${name} parameter was given more than once.`);
  }
  const one = (name: string): string | undefined => params[name]?.[0];
  // OpenID Connect Core §6.1, §6.2: request objects are not supported (the metadata says so), and
  // a client that sends one must be told rather than have what it put there dropped.
  if (params.request !== undefined)
    return problem('request_not_supported', 'Request objects (the request parameter) are not supported.');
  if (params.request_uri !== undefined)
    return problem('request_uri_not_supported', 'The request_uri parameter is not supported.');
  // Codes are returned in the query only (response_modes_supported; OAuth 2.0 Multiple Response
  // Type Encoding Practices §2.1).
  const responseMode = params.response_mode;
  if (responseMode !== undefined && (responseMode.length > 1 || responseMode[0] !== 'query'))
    return problem('invalid_request', 'Only response_mode=query is supported.');
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
  const maxAgeText = one('max_age');
  if (maxAgeText !== undefined && !/^\d{1,9}$/.test(maxAgeText))
    return problem('invalid_request', 'max_age must be a number of seconds.');
  // OpenID Connect Core §3.1.2.1: `none` excludes every other value. Values other than none,
  // login and consent (`select_account`: a session has one account) change nothing here.
  const prompt = (one('prompt') ?? '').split(' ').filter((p) => p !== '');
  if (prompt.includes('none') && prompt.length > 1)
    return problem('invalid_request', 'prompt=none cannot be combined with other values.');
  const nonce = one('nonce');
  if (nonce !== undefined && nonce.length > MAX_STATE_LENGTH)
    return problem('invalid_request', 'The nonce is too long.');
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
    // OpenID Connect Core §3.1.2.1: the nonce matters only to an ID token.
    ...(nonce !== undefined && scopes.right.includes(SCOPE_OPENID) ? { nonce } : {}),
    ...(maxAgeText === undefined ? {} : { maxAge: Number(maxAgeText) }),
  });
};

/**
 * `GET /oauth2/authorize` (RFC 6749 §4.1.1, docs/http-api.md#authorize steps 1–5): decides between an error page
 * (bad client or redirect URI: never redirect), the login page, an error sent back to the client,
 * and the consent page, for which it stores a single-use pending request.
 */
export const makeStartAuthorization = (
  deps: Pick<Ports, 'clients' | 'grants' | 'pendingAuthorizations' | 'transactor' | 'clock' | 'random'>,
  settings: OAuthSettings,
  metadataDocuments?: MetadataDocumentClients,
) => {
  const clientError = async (
    target: Target,
    problem: RequestProblem,
    session: Principal,
  ): Outcome<ApiError, AuthorizeOutcome> => {
    const approvedBefore = isSelfDescribed(target.client)
      ? await tryPort(() => deps.grants.hasApproved(session.user.id, target.client.id))
      : E.right(true);
    if (E.isLeft(approvedBefore)) return approvedBefore;
    return E.right({
      kind: 'client_error',
      client: target.client,
      redirectUri: target.redirectUri,
      ...problem,
      showPage: !approvedBefore.right,
    });
  };

  /**
   * Stores the consent request, dropping the session's oldest beyond
   * `MAX_PENDING_AUTHORIZATIONS_PER_SESSION` in the same transaction: each consent page a session
   * opens holds a row for ten minutes, and nothing else bounds how many it opens.
   */
  const storePending = (pending: PendingAuthorization): Outcome<ApiError, number> =>
    tryTransaction(deps.transactor, async (tx) => {
      const inserted = await tryPort(() => tx.pendingAuthorizations.insert(pending));
      if (E.isLeft(inserted)) return inserted;
      return tryPort(() =>
        tx.pendingAuthorizations.deleteOldest(pending.sessionId, MAX_PENDING_AUTHORIZATIONS_PER_SESSION),
      );
    });

  const consent = async (
    target: Target,
    request: ValidRequest,
    session: Principal,
  ): Outcome<ApiError, AuthorizeOutcome> => {
    const now = deps.clock.now();
    const requestId = issueCredential('consent', deps.random.bytes(CREDENTIAL_BYTES));
    const csrf = issueCredential('csrf', deps.random.bytes(CREDENTIAL_BYTES));
    const pending: PendingAuthorization = {
      digest: requestId.digest,
      csrfDigest: csrf.digest,
      sessionId: session.apiKeyId,
      userId: session.user.id,
      clientId: target.client.id,
      redirectUri: target.redirectUri,
      redirectUriSent: target.redirectUriSent,
      scopes: request.scopes,
      resource: request.resource,
      resourceRequested: request.resourceRequested,
      codeChallenge: request.codeChallenge,
      ...(request.state === undefined ? {} : { state: request.state }),
      ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
      ...(session.authenticatedAt === undefined ? {} : { authTime: session.authenticatedAt }),
      createdAt: now,
      expiresAt: addSeconds(now, PENDING_AUTHORIZATION_TTL_SECONDS),
    };
    const stored = await storePending(pending);
    if (E.isLeft(stored)) return stored;
    return E.right({
      kind: 'consent',
      client: target.client,
      redirectUri: target.redirectUri,
      scopes: pending.scopes,
      requestId: requestId.token,
      csrfToken: csrf.token,
    });
  };

  /**
   * Whether every answer this request can get back at its redirect URI (a code, or an error with
   * its description), with its state, fits in a `Location` header. Checked on the GET, so that a
   * code is never issued to a redirect that cannot be sent.
   */
  const answerFits = (target: Target, params: AuthorizeParams): boolean => {
    const state = params.state?.[0];
    const longest = redirectWith(target.redirectUri, {
      error: 'x'.repeat(32),
      error_description: 'x'.repeat(128),
      code: 'x'.repeat(96),
      ...(state === undefined ? {} : { state }),
      iss: settings.issuer,
    });
    return locationLength(longest) <= MAX_LOCATION_LENGTH;
  };

  const start = async (
    params: AuthorizeParams,
    session: Principal | undefined,
  ): Outcome<ApiError, AuthorizeOutcome> => {
    const target = await findTarget(deps, metadataDocuments, params);
    if (E.isLeft(target)) return target;
    if (E.isLeft(target.right)) return E.right({ kind: 'error_page', reason: target.right.left });
    if (!answerFits(target.right.right, params))
      return E.right({ kind: 'error_page', reason: 'oversized_request' });
    const prompt = params.prompt?.length === 1 ? (params.prompt[0] ?? '').split(' ') : [];
    if (session === undefined) {
      // OpenID Connect Core §3.1.2.1: prompt=none never shows a page.
      return prompt.includes('none')
        ? E.right({
            kind: 'client_error',
            client: target.right.right.client,
            redirectUri: target.right.right.redirectUri,
            ...promptNoneError('login_required', params),
            showPage: isSelfDescribed(target.right.right.client),
          })
        : E.right({ kind: 'login' });
    }
    const client = target.right.right.client;
    const checked = E.flatMap(() => checkAuthorizeParams(params, client, settings))(
      checkAuthorizeText(params),
    );
    if (E.isLeft(checked)) return clientError(target.right.right, checked.left, session);
    const now = deps.clock.now();
    if (needsNewSignIn(params, prompt, checked.right.maxAge, session, now))
      return prompt.includes('none')
        ? clientError(target.right.right, promptNoneError('login_required', params), session)
        : E.right({ kind: 'login', reauthenticateAfter: now });
    // Every approval is asked for on the consent page (none is remembered), so a request that
    // forbids pages cannot be answered with a code.
    if (prompt.includes('none'))
      return clientError(target.right.right, promptNoneError('consent_required', params), session);
    return consent(target.right.right, checked.right, session);
  };

  return asTask(start);
};

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
 * `POST /oauth2/authorize` (docs/http-api.md#authorize steps 5–6): checks the CSRF token (403 and nothing issued
 * without it), takes the single-use pending request, re-checks that client and redirect URI
 * still exist, and answers with a code (one grant, one code, in one transaction) or
 * `access_denied`. Only the values bound in the pending request are used. Either decision is
 * audited in the same transaction (docs/http-api.md#consent-audit: an approval is `create` on `oauth2_grant`).
 */
export const makeDecideAuthorization = (
  deps: Pick<Ports, 'clients' | 'pendingAuthorizations' | 'transactor' | 'clock' | 'random'>,
  settings: OAuthSettings,
) => {
  const redirect = (pending: PendingAuthorization, params: Record<string, string>): ConsentOutcome => ({
    kind: 'redirect',
    redirectUri: pending.redirectUri,
    params: {
      ...params,
      ...(pending.state === undefined ? {} : { state: pending.state }),
      iss: settings.issuer,
    },
  });

  /** The audit entry of a decision: the grant it created, or none for a denial. */
  const audited = (
    tx: Repositories,
    meta: RequestMeta,
    pending: PendingAuthorization,
    client: OAuthClient,
    grantId: GrantId | undefined,
  ): Outcome<ApiError, void> =>
    tryPort(() =>
      tx.audit.append(
        auditEntry(
          deps,
          meta,
        )({
          action: 'create',
          resourceType: 'oauth2_grant',
          resourceId: grantId ?? '',
          actorId: pending.userId,
          status: 302,
          diff: {
            client_id: { new: publicClientId(client) },
            scopes: { new: pending.scopes },
            resource: { new: pending.resource },
            decision: { new: grantId === undefined ? 'denied' : 'approved' },
          },
        }),
      ),
    );

  /** One grant and its code, bound to exactly what the consent form showed. */
  const approve = async (
    tx: Repositories,
    pending: PendingAuthorization,
    client: OAuthClient,
    meta: RequestMeta,
    now: Date,
  ): Outcome<ApiError, ConsentOutcome> => {
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
      ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }),
      ...(pending.authTime === undefined ? {} : { authTime: pending.authTime }),
      createdAt: now,
      expiresAt: addSeconds(now, settings.codeTtlSeconds),
    };
    const stored = await tryPort(async () => {
      await tx.grants.insert(grant);
      await tx.codes.insert(code);
    });
    if (E.isLeft(stored)) return stored;
    const logged = await audited(tx, meta, pending, client, grant.id);
    return E.isLeft(logged) ? logged : E.right(redirect(pending, { code: issued.token }));
  };

  const answerPending = async (
    tx: Repositories,
    pending: PendingAuthorization,
    answer: ConsentAnswer,
    meta: RequestMeta,
    now: Date,
  ): Outcome<ApiError, ConsentOutcome> => {
    const taken = await tryPort(() => tx.pendingAuthorizations.take(pending.digest));
    if (E.isLeft(taken)) return taken;
    // Single use: a second answer to the same form finds it gone.
    if (taken.right === undefined) return E.right({ kind: 'error_page', reason: 'expired_request' });
    const client = await tryPort(() => tx.clients.findById(pending.clientId));
    if (E.isLeft(client)) return client;
    if (client.right === undefined) return E.right({ kind: 'error_page', reason: 'unknown_client' });
    if (findRegisteredRedirectUri(client.right.redirectUris, pending.redirectUri) === undefined) {
      return E.right({ kind: 'error_page', reason: 'unregistered_redirect_uri' });
    }
    if (answer.approve) return approve(tx, pending, client.right, meta, now);
    const logged = await audited(tx, meta, pending, client.right, undefined);
    return E.isLeft(logged)
      ? logged
      : E.right(
          redirect(pending, { error: 'access_denied', error_description: 'The user denied the request.' }),
        );
  };

  const decide = async (
    answer: ConsentAnswer,
    session: Principal,
    meta: RequestMeta,
  ): Outcome<ApiError, ConsentOutcome> => {
    const now = deps.clock.now();
    const digest = answer.requestId === undefined ? undefined : credentialDigest('consent', answer.requestId);
    const found =
      digest === undefined
        ? E.right(undefined)
        : await tryPort(() => deps.pendingAuthorizations.findByDigest(digest));
    if (E.isLeft(found)) return found;
    const pending = found.right;
    const refused = checkAnswer(pending, answer, session, now);
    if (refused !== undefined || pending === undefined) return E.right(refused ?? { kind: 'forbidden' });
    return tryTransaction(deps.transactor, (tx) => answerPending(tx, pending, answer, meta, now));
  };

  return asTask(decide);
};

/** Appends response parameters to a redirect URI, keeping its own query (RFC 6749 §4.1.2). */
export const redirectWith = (redirectUri: string, params: Readonly<Record<string, string>>): string =>
  `${redirectUri}${redirectUri.includes('?') ? '&' : '?'}${new URLSearchParams(params).toString()}`;
