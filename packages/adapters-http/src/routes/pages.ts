import Router from '@koa/router';
import {
  type ApiError,
  ApiErrors,
  CREDENTIAL_PREFIXES,
  decodeFields,
  INVALID_LOGIN_MESSAGE,
  NewFirstUser,
  type Principal,
  type UseCases,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import { isSecureIssuer, SESSION_COOKIE, type HttpConfig } from '../config.js';
import { formBody, formFields, requestMeta } from '../middleware/body.js';
import { setSessionCookie } from '../middleware/cookies.js';
import { checkFormCsrf, issueFormCsrf } from '../middleware/csrf.js';
import { writeApiError } from '../middleware/errors.js';
import { noStore, setPageHeaders } from '../middleware/security-headers.js';
import {
  admitPasswordCheck,
  recordFailure,
  recordSuccess,
  type LoginLimiter,
} from '../middleware/login-limiter.js';
import { unsafeParam, unsafeTextFormMessage } from '../middleware/text-input.js';
import { safeRedirect } from '../redirect.js';
import type { Ctx, RequestState } from '../state.js';
import { fieldErrors } from '../views/form.js';
import { loginPage, messagePage, setupPage } from '../views/pages.js';

/**
 * HTML answers carry the page headers of docs/http-api.md#conventions and helmet's document-only ones (the API
 * security headers come from `setSecurityHeaders`).
 */
export const renderPage = (ctx: Ctx, status: number, body: string): void => {
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  setPageHeaders(ctx.res);
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
};

/** What an error page needs of an error: its status and, below 500, its message. */
export interface PageError {
  readonly status: number;
  readonly message: string;
  readonly kind?: ApiError['kind'];
  readonly cause?: unknown;
}

const ERROR_TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Sign in needed',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'Conflict',
  413: 'Too large',
  415: 'Unsupported form',
  429: 'Too many requests',
  503: 'Temporarily unavailable',
};

/**
 * An error as an HTML page for a browser (docs/http-api.md#web-console): its status, a title, and
 * its message below 500; a 500 names the request id only, and is logged like an API error.
 */
export const errorPage = (ctx: Ctx, error: PageError, options: { logged?: boolean } = {}): void => {
  if (options.logged === true) {
    /* written to the log or the outage report already */
  } else if (error.status === 503) ctx.state.outage.refused(ctx.state.log, error.cause);
  else if (error.status >= 500) ctx.state.log.error({ err: error.cause, kind: error.kind }, 'request failed');
  const title =
    ERROR_TITLES[error.status] ?? (error.status >= 500 ? 'Something went wrong' : 'Request refused');
  const message =
    error.status === 503
      ? 'The service is temporarily unavailable. Please try again in a moment.'
      : error.status >= 500
        ? `An internal error occurred (request id ${ctx.state.requestId}).`
        : error.message;
  renderPage(ctx, error.status, messagePage(title, message, { href: '/', text: 'Home' }));
};

/**
 * The browser's signed-in user: a session token in the cookie, nothing else (docs/http-api.md#routes).
 * An expired or unknown session counts as signed out; a lookup that failed is thrown as the
 * API error it is, for the error fence (`writeEscapedError`) to answer.
 */
export const browserSession = async (
  useCases: Pick<UseCases, 'authenticate'>,
  ctx: Ctx,
): Promise<Principal | undefined> => {
  const token = ctx.cookies.get(SESSION_COOKIE);
  if (token?.startsWith(CREDENTIAL_PREFIXES.session) !== true) return undefined;
  const principal = await useCases.authenticate(token, ['session'])();
  if (E.isRight(principal)) return principal.right;
  // The session could not be checked (the database is away): that is a 503, not "signed out".
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- the error fence writes a thrown ApiError as itself
  if (principal.left.status >= 500) throw principal.left;
  return undefined;
};

const optionalField = (fields: URLSearchParams, name: string): string | undefined => {
  const value = fields.get(name);
  return value === null || value === '' ? undefined : value;
};

/** The form's message when the login limit refuses it (docs/security.md#rate-limits). */
const TOO_MANY_ATTEMPTS = 'Too many attempts. Please wait a minute and try again.';

/** `/login`, `/setup`: plain server-rendered forms with CSRF tokens (docs/http-api.md#users-and-sessions); `/` is the console's. */
export const pageRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  limiter: LoginLimiter,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const secure = isSecureIssuer(config.issuer);
  const form = formBody(config.bodyLimitBytes);

  const forbiddenForm = (ctx: Ctx): void => {
    renderPage(
      ctx,
      403,
      messagePage('Form expired', 'The form was stale or not sent from this site. Please try again.'),
    );
  };

  router.get('/login', async (ctx) => {
    const redirect = safeRedirect(
      typeof ctx.query.redirect === 'string' ? ctx.query.redirect : undefined,
      config.issuer,
    );
    // `prompt=login`: the authorization request asked for a new sign-in (docs/openid-connect.md).
    if (ctx.query.prompt !== 'login' && (await browserSession(useCases, ctx)) !== undefined) {
      ctx.status = 303;
      ctx.redirect(redirect);
      return;
    }
    renderPage(ctx, 200, loginPage({ csrfToken: issueFormCsrf(ctx, secure), redirect }));
  });

  router.post('/login', noStore, form, async (ctx) => {
    const fields = formFields(ctx);
    const redirect = safeRedirect(fields.get('redirect'), config.issuer);
    if (!checkFormCsrf(ctx, fields.get('csrf_token'))) {
      forbiddenForm(ctx);
      return;
    }
    const unsafe = unsafeParam(fields, 'form');
    if (unsafe !== undefined) {
      const error = unsafeTextFormMessage(unsafe);
      renderPage(ctx, 400, loginPage({ csrfToken: issueFormCsrf(ctx, secure), redirect, error }));
      return;
    }
    const email = fields.get('email') ?? '';
    const view = { csrfToken: issueFormCsrf(ctx, secure), redirect, email };
    const refuse = () => {
      renderPage(ctx, 429, loginPage({ ...view, error: TOO_MANY_ATTEMPTS }));
    };
    if (!(await admitPasswordCheck(ctx, limiter, email, refuse))) return;
    const result = await useCases.login(
      { email, password: fields.get('password') ?? '' },
      requestMeta(ctx),
    )();
    if (E.isLeft(result)) {
      if (result.left.status !== 401) {
        writeApiError(ctx, result.left);
        return;
      }
      const failure = await recordFailure(limiter, email);
      if (failure !== undefined) {
        writeApiError(ctx, failure);
        return;
      }
      renderPage(ctx, 401, loginPage({ ...view, error: INVALID_LOGIN_MESSAGE }));
      return;
    }
    await recordSuccess(ctx, limiter, email);
    setSessionCookie(ctx, result.right.token, secure);
    ctx.status = 303;
    ctx.redirect(redirect);
  });

  const setupAvailable = async (ctx: Ctx): Promise<boolean> => {
    const needed = await useCases.needsSetup()();
    if (E.isLeft(needed)) {
      writeApiError(ctx, needed.left);
      return false;
    }
    if (!needed.right) {
      renderPage(
        ctx,
        404,
        messagePage('Already set up', 'Latchkey already has an owner.', { href: '/login', text: 'Sign in' }),
      );
      return false;
    }
    return true;
  };

  router.get('/setup', async (ctx) => {
    if (!(await setupAvailable(ctx))) return;
    renderPage(
      ctx,
      200,
      setupPage({ csrfToken: issueFormCsrf(ctx, secure), setupTokenRequired: config.setupTokenRequired }),
    );
  });

  router.post('/setup', noStore, form, async (ctx) => {
    const fields = formFields(ctx);
    if (!checkFormCsrf(ctx, fields.get('csrf_token'))) {
      forbiddenForm(ctx);
      return;
    }
    if (!(await setupAvailable(ctx))) return;
    const unsafe = unsafeParam(fields, 'form');
    if (unsafe !== undefined) {
      const { setupTokenRequired } = config;
      const error = unsafeTextFormMessage(unsafe);
      renderPage(ctx, 400, setupPage({ csrfToken: issueFormCsrf(ctx, secure), setupTokenRequired, error }));
      return;
    }
    const values = {
      email: optionalField(fields, 'email'),
      username: optionalField(fields, 'username'),
      name: optionalField(fields, 'name'),
    };
    const view = {
      csrfToken: issueFormCsrf(ctx, secure),
      setupTokenRequired: config.setupTokenRequired,
      values,
    };
    const refuse = () => {
      renderPage(ctx, 429, setupPage({ ...view, error: TOO_MANY_ATTEMPTS }));
    };
    if (!(await admitPasswordCheck(ctx, limiter, undefined, refuse))) return;
    const input = decodeFields(NewFirstUser, { ...values, password: optionalField(fields, 'password') });
    if (E.isLeft(input)) {
      renderPage(ctx, 400, setupPage({ ...view, errors: fieldErrors(input.left) }));
      return;
    }
    const created = await useCases.createFirstUser(
      input.right,
      optionalField(fields, 'setup_token'),
      requestMeta(ctx),
    )();
    if (E.isLeft(created)) {
      const { status } = created.left;
      if (status >= 500) {
        writeApiError(ctx, created.left);
        return;
      }
      renderPage(ctx, status, setupPage({ ...view, error: created.left.message }));
      return;
    }
    const session = await useCases.login(
      { email: input.right.email, password: input.right.password },
      requestMeta(ctx),
    )();
    if (E.isRight(session)) setSessionCookie(ctx, session.right.token, secure);
    ctx.status = 303;
    ctx.redirect('/');
  });

  return router;
};

/** Liveness and readiness (docs/http-api.md#routes). */
export const healthRoutes = (
  useCases: UseCases,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const ready = await useCases.ping().catch(() => false);
    if (ready) ctx.body = { status: 'ok' };
    else writeApiError(ctx, ApiErrors.unavailable(undefined));
  });
  return router;
};
