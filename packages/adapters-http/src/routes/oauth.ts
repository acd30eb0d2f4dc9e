import Router from '@koa/router';
import {
  ApiErrors,
  AUTH_AFTER_PARAM,
  checkClientIdUrl,
  clientIdHost,
  hostInDomains,
  isLoopbackHost,
  isSelfDescribed,
  MAX_LOCATION_LENGTH,
  oauthError,
  redirectWith,
  SCOPE_ALL,
  SCOPE_OPENID,
  Uuid,
  type AuthorizeOutcome,
  type ConsentOutcome,
  type OAuthError,
  type PresentedClientCredentials,
  type Principal,
  type TokenResponse,
  type UntrustedRequestReason,
  type UseCases,
  userInfoClaims,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { resourceMetadataUrl, type HttpConfig } from '../config.js';
import { authenticated } from '../middleware/authenticate.js';
import { declaresType, formBody, formFields, formParser, requestMeta } from '../middleware/body.js';
import { parserProblem, writeApiError, writeOAuthError } from '../middleware/errors.js';
import { multiParams, parseBasic, singleParams } from '../middleware/oauth-params.js';
import { unsafeParam, unsafeTextFormMessage, unsafeTextOAuthError } from '../middleware/text-input.js';
import { budgetFactory } from '../middleware/rate-limit.js';
import { RequestLimiter } from '../middleware/token-limiter.js';
import type { Ctx, RequestState } from '../state.js';
import { authorizeErrorPage, consentPage, returnToClientPage } from '../views/consent.js';
import { decodeTokenGrant } from '../wire/token-grant.js';
import { browserSession, renderPage } from './pages.js';
import { answerJson } from './respond.js';

const UNTRUSTED_MESSAGES: Record<UntrustedRequestReason, string> = {
  missing_client_id: 'The request does not name a client (client_id is missing).',
  duplicate_client_id: 'The request names client_id more than once.',
  unknown_client: 'The client is not registered here.',
  blocked_client: 'This application is blocked on this server.',
  client_metadata_unavailable:
    "The application's metadata document could not be fetched or is not valid, so it cannot sign in here.",
  duplicate_redirect_uri: 'The request names redirect_uri more than once.',
  unregistered_redirect_uri: 'The redirect URI is not registered for this client.',
  redirect_uri_required: 'The client has several redirect URIs; the request must name one.',
  expired_request:
    'This authorization request has expired or was already answered. Start again from the application.',
  oversized_request: 'The authorization request is too large.',
};

/**
 * The longest authorize query string taken (its raw, percent-encoded length). A real request is
 * well under 2 KiB; this bound keeps every redirect made from it (to `/login`, back after
 * signing in) under `MAX_LOCATION_LENGTH`, and the stored consent request small.
 */
export const MAX_AUTHORIZE_QUERY_LENGTH = 4096;

/** Characters a query value may hold as they are (RFC 3986 §3.4), which `encodeURIComponent` escapes. */
const QUERY_SAFE_ESCAPES = /%(2F|3A|40|3F|3D|2C|3B|24)/g;

/**
 * `/login?redirect=<target>`, escaping in the target only what a query value needs escaped (`%`,
 * `&`, `+`, `#`, and what is not allowed in a query): an authorize request is mostly `/`, `:`,
 * `=` and percent-escapes, and escaping those again would nearly double its length.
 */
export const loginRedirect = (target: string): string =>
  `/login?redirect=${encodeURIComponent(target).replace(QUERY_SAFE_ESCAPES, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  )}`;

/**
 * The authorize request to come back to after a new sign-in (OpenID Connect Core §3.1.2.1,
 * docs/openid-connect.md#authorization-request): without `prompt=login`, with the time after which
 * a sign-in counts, so that the new session is not sent to sign in again.
 */
const reauthenticationTarget = (originalUrl: string, after: Date): string => {
  const url = new URL(originalUrl, 'http://target.invalid');
  const prompt = (url.searchParams.get('prompt') ?? '').split(' ').filter((p) => p !== '' && p !== 'login');
  if (prompt.length === 0) url.searchParams.delete('prompt');
  else url.searchParams.set('prompt', prompt.join(' '));
  url.searchParams.set(AUTH_AFTER_PARAM, String(Math.floor(after.getTime() / 1000)));
  return `${url.pathname}${url.search}`;
};

/** An http(s) redirect URI on a loopback host (RFC 8252 §7.3). */
const isLoopbackRedirect = (uri: string): boolean => {
  try {
    const url = new URL(uri);
    return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
  } catch {
    return false;
  }
};

const hostOf = (uri: string): string => {
  try {
    return new URL(uri).host || uri;
  } catch {
    return uri;
  }
};

/** Reads client credentials from the Basic header and the form body; failures are OAuth errors. */
const clientCredentials = (
  ctx: Ctx,
  params: Readonly<Record<string, string>>,
): {
  readonly basicAttempted: boolean;
  readonly credentials: E.Either<OAuthError, PresentedClientCredentials>;
} => {
  const basic = parseBasic(ctx.get('Authorization'));
  return {
    basicAttempted: basic.attempted,
    credentials: E.map((b: PresentedClientCredentials['basic']) => ({
      ...(b === undefined ? {} : { basic: b }),
      ...(params.client_id === undefined ? {} : { bodyClientId: params.client_id }),
      ...(params.client_secret === undefined ? {} : { bodyClientSecret: params.client_secret }),
    }))(basic.credentials),
  };
};

/**
 * The authorization server's endpoints (docs/http-api.md#token, #revocation): authorize (consent page and answer),
 * token, revocation, introspection, and the user's own grant revocation. Every answer carries
 * `Cache-Control: no-store` (set for `/oauth2/*` in `createHttpApp`).
 */
export const oauthRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const form = formBody(config.bodyLimitBytes);
  const parseForm = formParser(config.bodyLimitBytes);
  // Counted in this process even where the login and registration limits are shared: a shared
  // spend is one more statement on every token request (docs/scaling.md#rate-limits).
  const limiter = new RequestLimiter(
    config.tokenRateLimitPerMinute,
    config.tokenRateLimitPerMinute * 10,
    budgetFactory(config.clock, undefined),
  );

  const parsed = (): Promise<void> => Promise.resolve();

  /** OAuth endpoints take forms; another content type is `invalid_request` in the OAuth format. */
  const oauthForm = async (ctx: Ctx, next: () => Promise<unknown>): Promise<void> => {
    if (!declaresType(ctx, 'application/x-www-form-urlencoded')) {
      writeOAuthError(
        ctx,
        oauthError('invalid_request', 'The body must be application/x-www-form-urlencoded.'),
      );
      return;
    }
    try {
      await parseForm(ctx, parsed);
    } catch (error) {
      // A body that cannot be read (not what its Content-Encoding says, cut short) is this
      // endpoint's invalid_request; a body over the limit stays the 413 of the error fence (middleware/edge.ts).
      const problem = parserProblem(error);
      if (problem?.kind !== 'unreadable' && problem?.kind !== 'malformed') throw error;
      writeOAuthError(ctx, oauthError('invalid_request', 'The request body could not be read.'));
      return;
    }
    await next();
  };

  const errorPage = (ctx: Ctx, reason: UntrustedRequestReason): void => {
    renderPage(ctx, 400, authorizeErrorPage('Invalid authorization request', UNTRUSTED_MESSAGES[reason]));
  };

  const renderAuthorize = (
    ctx: Ctx,
    outcome: AuthorizeOutcome | ConsentOutcome,
    session: Principal | undefined,
  ): void => {
    switch (outcome.kind) {
      case 'error_page':
        errorPage(ctx, outcome.reason);
        return;
      case 'login': {
        const location =
          outcome.reauthenticateAfter === undefined
            ? loginRedirect(ctx.originalUrl)
            : `${loginRedirect(reauthenticationTarget(ctx.originalUrl, outcome.reauthenticateAfter))}&prompt=login`;
        if (location.length > MAX_LOCATION_LENGTH) {
          errorPage(ctx, 'oversized_request');
          return;
        }
        ctx.status = 303;
        ctx.redirect(location);
        return;
      }
      case 'client_error': {
        ctx.state.clientId = outcome.client.id;
        ctx.state.oauthError = outcome.error;
        const href = redirectWith(outcome.redirectUri, {
          error: outcome.error,
          error_description: outcome.description,
          ...(outcome.state === undefined ? {} : { state: outcome.state }),
          iss: config.issuer,
        });
        if (outcome.showPage) {
          renderPage(
            ctx,
            400,
            returnToClientPage({
              clientName: outcome.client.name,
              host: hostOf(outcome.redirectUri),
              href,
              description: outcome.description,
            }),
          );
          return;
        }
        ctx.status = 302;
        ctx.redirect(href);
        return;
      }
      case 'consent': {
        ctx.state.clientId = outcome.client.id;
        const icon =
          !isSelfDescribed(outcome.client) && outcome.client.icon !== ''
            ? { iconUrl: outcome.client.icon }
            : {};
        const documentUrl = outcome.client.metadataDocumentUrl;
        const host = documentUrl === undefined ? undefined : clientIdHost(documentUrl);
        renderPage(
          ctx,
          200,
          consentPage({
            clientName: outcome.client.name,
            ...icon,
            dynamicallyRegistered: outcome.client.dynamicallyRegistered,
            ...(host === undefined
              ? {}
              : {
                  metadataDocument: {
                    host,
                    trusted: hostInDomains(host, config.metadataDocuments.trustedDomains),
                  },
                }),
            loopbackOnly: outcome.client.redirectUris.every(isLoopbackRedirect),
            redirectHost: hostOf(outcome.redirectUri),
            scopes: outcome.scopes,
            requestId: outcome.requestId,
            csrfToken: outcome.csrfToken,
            userName: session?.user.username ?? '',
          }),
        );
        return;
      }
      case 'forbidden':
        renderPage(
          ctx,
          403,
          authorizeErrorPage('Request refused', 'The consent form was not valid for this session.'),
        );
        return;
      case 'redirect':
        // RFC 6749 §4.1.2.1: the user's refusal is the one error a consent answer redirects with.
        if (outcome.params.error === 'access_denied') ctx.state.oauthError = 'access_denied';
        ctx.status = 302;
        ctx.redirect(redirectWith(outcome.redirectUri, outcome.params));
        return;
    }
  };

  router.get('/oauth2/authorize', async (ctx) => {
    if (ctx.querystring.length > MAX_AUTHORIZE_QUERY_LENGTH) {
      errorPage(ctx, 'oversized_request');
      return;
    }
    const session = await browserSession(useCases, ctx);
    const outcome = await useCases.startAuthorization(
      multiParams(new URLSearchParams(ctx.querystring)),
      session,
    )();
    if (E.isLeft(outcome)) writeApiError(ctx, outcome.left);
    else renderAuthorize(ctx, outcome.right, session);
  });

  router.post('/oauth2/authorize', form, async (ctx) => {
    const session = await browserSession(useCases, ctx);
    if (session === undefined) {
      renderPage(ctx, 403, authorizeErrorPage('Request refused', 'You are not signed in.'));
      return;
    }
    const fields = formFields(ctx);
    const unsafe = unsafeParam(fields, 'body');
    if (unsafe !== undefined) {
      renderPage(
        ctx,
        400,
        authorizeErrorPage('Invalid authorization request', unsafeTextFormMessage(unsafe)),
      );
      return;
    }
    const decision = fields.get('decision');
    const outcome = await useCases.decideAuthorization(
      {
        requestId: fields.get('request_id') ?? undefined,
        csrfToken: fields.get('csrf_token') ?? undefined,
        approve: decision === 'allow',
      },
      session,
      requestMeta(ctx),
    )();
    if (E.isLeft(outcome)) writeApiError(ctx, outcome.left);
    else renderAuthorize(ctx, outcome.right, session);
  });

  interface ClientRequest {
    readonly params: Readonly<Record<string, string>>;
    readonly credentials: PresentedClientCredentials;
  }

  /**
   * The shared steps of the client-authenticated endpoints (token, revocation, introspection):
   * single-valued form parameters, client credentials from Basic or the body, an optional
   * throttle, the use case, and the one OAuth error writer (with a Basic challenge when Basic was
   * tried).
   */
  const clientEndpoint =
    <A>(
      run: (request: ClientRequest, ctx: Ctx) => TaskEither<OAuthError, A>,
      answer: (ctx: Ctx, value: A) => void,
      throttled?: (ctx: Ctx, clientId: string | undefined) => Promise<boolean>,
    ) =>
    async (ctx: Ctx): Promise<void> => {
      const fields = formFields(ctx);
      const unsafe = unsafeParam(fields, 'body');
      if (unsafe !== undefined) {
        writeOAuthError(ctx, unsafeTextOAuthError(unsafe));
        return;
      }
      const params = singleParams(fields);
      if (E.isLeft(params)) {
        writeOAuthError(ctx, params.left);
        return;
      }
      const { basicAttempted, credentials } = clientCredentials(ctx, params.right);
      const claimedId = E.isRight(credentials)
        ? (credentials.right.basic?.clientId ?? credentials.right.bodyClientId)
        : undefined;
      // Only a well-formed client id reaches the log: never a secret sent in its place.
      if (claimedId !== undefined && Uuid.is(claimedId)) ctx.state.clientId = claimedId;
      if (throttled !== undefined && (await throttled(ctx, claimedId))) return;
      if (E.isLeft(credentials)) {
        writeOAuthError(ctx, credentials.left, { basicChallenge: basicAttempted });
        return;
      }
      const result = await run({ params: params.right, credentials: credentials.right }, ctx)();
      if (E.isLeft(result)) writeOAuthError(ctx, result.left, { basicChallenge: basicAttempted });
      else answer(ctx, result.right);
    };

  /** Token requests per IP and per client (the claimed id: limiting happens before authentication). */
  const tokenThrottle = async (ctx: Ctx, clientId: string | undefined): Promise<boolean> => {
    const retryAfter = await limiter.consume(ctx.state.clientIp, clientId);
    if (retryAfter === undefined) return false;
    ctx.state.rateLimitedBy = 'token';
    ctx.set('Retry-After', String(retryAfter));
    writeOAuthError(ctx, oauthError('temporarily_unavailable', 'Too many token requests; try again later.'));
    return true;
  };

  /** The token request, recording the grant that issued tokens (docs/metrics.md). */
  const issueTokens =
    ({ params, credentials }: ClientRequest, ctx: Ctx): TaskEither<OAuthError, TokenResponse> =>
    async () => {
      const grant = decodeTokenGrant(params);
      const issued = await useCases.token({ credentials, grant, meta: requestMeta(ctx) })();
      if (E.isRight(issued) && E.isRight(grant)) ctx.state.issuedGrant = grant.right.grantType;
      return issued;
    };

  router.post(
    '/oauth2/tokens',
    oauthForm,
    clientEndpoint(
      issueTokens,
      (ctx, tokens) => {
        answerJson(ctx, {
          access_token: tokens.accessToken,
          token_type: tokens.tokenType,
          expires_in: tokens.expiresIn,
          ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
          scope: tokens.scope,
          ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
        });
      },
      tokenThrottle,
    ),
  );

  router.post(
    '/oauth2/revoke',
    oauthForm,
    clientEndpoint(
      ({ params, credentials }, ctx) =>
        useCases.revokeToken({ credentials, token: params.token, meta: requestMeta(ctx) }),
      (ctx) => {
        ctx.status = 200;
        ctx.body = '';
      },
    ),
  );

  router.post(
    '/oauth2/introspect',
    oauthForm,
    clientEndpoint(
      ({ params, credentials }) => useCases.introspectToken({ credentials, token: params.token }),
      (ctx, found) => {
        answerJson(
          ctx,
          found.active
            ? {
                active: true,
                client_id: found.clientId,
                ...(found.username === undefined ? {} : { username: found.username }),
                sub: found.sub,
                scope: found.scope,
                ...(found.aud === undefined ? {} : { aud: found.aud }),
                exp: found.exp,
                iat: found.iat,
                token_type: found.tokenType,
              }
            : { active: false },
        );
      },
    ),
  );

  const challenge = { resourceMetadata: resourceMetadataUrl(config.issuer) };
  // OpenID Connect Core §5.3: the signed-in user's claims, for an access token granted `openid`
  // (bearer header only; errors as RFC 6750 §3 says, docs/openid-connect.md#userinfo).
  if (config.oidc !== undefined) {
    const userInfo = authenticated(useCases, {
      ...challenge,
      scope: SCOPE_OPENID,
      allowCookie: false,
      issuer: config.issuer,
    });
    const answerUserInfo = (ctx: Ctx): void => {
      const principal = ctx.state.principal;
      if (principal === undefined) return;
      ctx.body = userInfoClaims(principal.user, principal.scopes);
    };
    router.get('/oauth2/userinfo', userInfo, answerUserInfo);
    router.post('/oauth2/userinfo', userInfo, answerUserInfo);
  }
  router.delete(
    '/oauth2/tokens',
    authenticated(useCases, { ...challenge, scope: SCOPE_ALL, allowCookie: true, issuer: config.issuer }),
    async (ctx) => {
      const values = ctx.query.client_id;
      const clientId = Array.isArray(values) ? undefined : values;
      const isUrl = clientId !== undefined && E.isRight(checkClientIdUrl(clientId));
      if (clientId === undefined || clientId === '' || (!Uuid.is(clientId) && !isUrl)) {
        writeApiError(
          ctx,
          ApiErrors.badRequest('Invalid query parameters.', [
            { field: 'client_id', detail: 'must be one client id (a UUID, or a metadata document URL)' },
          ]),
        );
        return;
      }
      ctx.state.clientId = clientId.toLowerCase();
      const principal = ctx.state.principal;
      if (principal === undefined) throw new Error('route reached without authentication');
      const result = await useCases.revokeUserGrantsForClient(
        principal,
        isUrl ? clientId : clientId.toLowerCase(),
        requestMeta(ctx),
      )();
      if (E.isLeft(result)) writeApiError(ctx, result.left, challenge);
      else ctx.status = 204;
    },
  );

  return router;
};
