import { randomUUID } from 'node:crypto';
import Router from '@koa/router';
import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  decodeFields,
  NewUser,
  PasswordChange,
  SECRET_ALREADY_CREATED,
  Uuid,
  type ApiError,
  type ApiKeyId,
  type AuditAction,
  type AuditResourceType,
  type ClientId,
  type ClientSecretId,
  type OAuthClient,
  type Principal,
  type UseCases,
  type UserId,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { TaskEither } from 'fp-ts/lib/TaskEither.js';
import { isSecureIssuer, type HttpConfig } from '../config.js';
import { fromIssuerOrigin } from '../middleware/authenticate.js';
import { formBody, formFields, requestMeta } from '../middleware/body.js';
import { clearSessionCookie } from '../middleware/cookies.js';
import { checkFormCsrf, issueFormCsrf } from '../middleware/csrf.js';
import { unsafeParam, unsafeTextFormMessage } from '../middleware/text-input.js';
import type { Ctx, RequestState } from '../state.js';
import {
  appFormPage,
  appFormValues,
  appPage,
  appsPage,
  auditPage,
  authorizedAppsPage,
  confirmPage,
  type ConfirmView,
  homePage,
  passwordPage,
  registeredClientsPage,
  revokeTokensOption,
  sessionsPage,
  userFormPage,
  usersPage,
  type AuditFilters,
} from '../views/console.js';
import type { Chrome, Section } from '../views/document.js';
import { fieldErrors, type FormErrors, type FormValues } from '../views/form.js';
import { landingPage } from '../views/pages.js';
import { decodeApp } from './apps.js';
import { loginRedirect } from './oauth.js';
import { browserSession, errorPage, renderPage } from './pages.js';

/**
 * What a completed action says on the page it redirects to (Post/Redirect/Get): a fixed word in
 * the query, never text from the request.
 */
const NOTICES = {
  revoked: 'Access revoked. Its tokens no longer work.',
  'revoked-all': 'Every application’s access was revoked.',
  ended: 'The session was ended.',
  'password-changed': 'Your password was changed. Your other sessions were ended.',
  'app-created': 'Application created.',
  'app-saved': 'Changes saved.',
  'app-deleted': 'Application deleted, with its secrets and tokens.',
  'secret-deleted': 'Secret deleted.',
  'secret-shown-once':
    'That secret was already created, and a secret is shown only once. If you did not copy it, delete it and create another.',
  'client-deleted': 'Client deleted, with its tokens.',
  'user-created': 'User created.',
} as const;
type NoticeKey = keyof typeof NOTICES;

const noticeOf = (ctx: Ctx): string | undefined => {
  const key = ctx.query.done;
  return typeof key === 'string' && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : undefined;
};

const seeOther = (ctx: Ctx, location: string): void => {
  ctx.status = 303;
  ctx.redirect(location);
};

/** A path id that is not a UUID names nothing. */
const uuidParam = <Id extends string>(value: string | undefined): Id | undefined =>
  value !== undefined && Uuid.is(value) ? (value.toLowerCase() as Id) : undefined;

/** The fields of a form, for filling it again; passwords and the CSRF token are left out. */
const valuesOf = (fields: URLSearchParams, names: readonly string[]): FormValues =>
  Object.fromEntries(names.map((name) => [name, fields.get(name) ?? '']));

const lines = (text: string | null): string[] =>
  (text ?? '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');

const APP_FIELDS = [
  'name',
  'callback_url',
  'redirect_uris',
  'client_type',
  'scope',
  'icon',
  'introspect_any',
  'client_credentials',
  'client_credentials_scope',
];

/** The app form as the admin API's body (docs/http-api.md#apps), so both go through one decoder. */
const appBody = (fields: URLSearchParams, creating: boolean): Record<string, unknown> => ({
  name: fields.get('name') ?? '',
  callback_url: fields.get('callback_url') ?? '',
  redirect_uris: lines(fields.get('redirect_uris')),
  ...(creating ? { client_type: fields.get('client_type') ?? 'confidential' } : {}),
  scope: fields.get('scope') ?? '',
  icon: (fields.get('icon') ?? '').trim(),
  introspect_any: fields.get('introspect_any') === 'true',
  // docs/http-api.md#client-credentials-grant: the scopes count only while the grant is ticked.
  ...(fields.get('client_credentials') === 'true'
    ? { client_credentials: true, client_credentials_scope: fields.get('client_credentials_scope') ?? '' }
    : { client_credentials: false }),
});

const AUDIT_PAGE_SIZE = 50;
/** Users named in the audit log's filter; an owner's installation has few. */
const AUDIT_USERS = { limit: 500, offset: 0 };

/** A single-valued query parameter; `undefined` when absent or empty. */
const queryValue = (ctx: Ctx, name: string): string | undefined => {
  const value = ctx.query[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

const oneOf = <A extends string>(values: readonly A[], value: string | undefined): A | undefined =>
  values.find((v) => v === value);

/** Who may open a console page: any signed-in user, or owners only. */
type Who = 'member' | 'owner';

/** The parameters of a route's path, by name. */
type PathParams = Readonly<Record<string, string | undefined>>;

interface Posted {
  readonly principal: Principal;
  readonly fields: URLSearchParams;
}

/** The field of the "Create secret" form that makes it single-use: the id the new secret gets. */
const SECRET_ID_FIELD = 'secret_id';

/**
 * The web console (docs/http-api.md#web-console): server-rendered pages for every signed-in user
 * and, for owners, the admin tasks, each on the use case the API uses. Pages read the session
 * cookie only; every form POSTs with the double-submit CSRF token and must come from the issuer's
 * origin (docs/http-api.md#cookie-authenticated-writes).
 */
export const consoleRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const secure = isSecureIssuer(config.issuer);
  const issuerOrigin = new URL(config.issuer).origin;
  const form = formBody(config.bodyLimitBytes);

  const chromeOf = (ctx: Ctx, principal: Principal, section: Section): Chrome => ({
    user: principal.user,
    csrfToken: issueFormCsrf(ctx, secure),
    section,
  });

  /** An error from a use case as a page: its status, and its message unless it is a 5xx. */
  const failed = (ctx: Ctx, error: ApiError): void => {
    errorPage(ctx, error);
  };

  /** Runs a use case; on `Left` the error page is the answer and `undefined` is returned. */
  const run = async <A>(ctx: Ctx, task: TaskEither<ApiError, A>): Promise<A | undefined> => {
    const result = await task();
    if (E.isRight(result)) return result.right;
    failed(ctx, result.left);
    return undefined;
  };

  /** Runs a use case for its effect; `false` when it failed and the error page is the answer. */
  const succeeded = async (ctx: Ctx, task: TaskEither<ApiError, unknown>): Promise<boolean> => {
    const result = await task();
    if (E.isRight(result)) return true;
    failed(ctx, result.left);
    return false;
  };

  /** The signed-in user of a page; a signed-out browser is sent to sign in and come back. */
  const viewer = async (ctx: Ctx): Promise<Principal | undefined> => {
    const principal = await browserSession(useCases, ctx);
    if (principal === undefined) seeOther(ctx, loginRedirect(ctx.originalUrl));
    return principal;
  };

  const owner = (ctx: Ctx, principal: Principal): boolean => {
    if (principal.user.role === 'owner') return true;
    errorPage(ctx, { status: 403, message: 'Only an owner can open this page.' });
    return false;
  };

  /** `viewer`, and for `owner` pages the owner role; `undefined` when the answer is given. */
  const viewerAs = async (ctx: Ctx, who: Who): Promise<Principal | undefined> => {
    const principal = await viewer(ctx);
    return principal !== undefined && (who === 'member' || owner(ctx, principal)) ? principal : undefined;
  };

  /**
   * The checks every console form passes before anything else: the issuer's origin, the CSRF
   * token, no unsafe text, and a session.
   */
  const posted = async (ctx: Ctx): Promise<Posted | undefined> => {
    const fields = formFields(ctx);
    if (!fromIssuerOrigin(ctx, issuerOrigin) || !checkFormCsrf(ctx, fields.get('csrf_token'))) {
      errorPage(ctx, {
        status: 403,
        message: 'The form was stale or not sent from this site. Please go back, reload and try again.',
      });
      return undefined;
    }
    const unsafe = unsafeParam(fields, 'form');
    if (unsafe !== undefined) {
      errorPage(ctx, { status: 400, message: unsafeTextFormMessage(unsafe) });
      return undefined;
    }
    const principal = await browserSession(useCases, ctx);
    if (principal === undefined) {
      seeOther(ctx, '/login');
      return undefined;
    }
    return { principal, fields };
  };

  /** `posted`, and the owner role. */
  const ownerPosted = async (ctx: Ctx): Promise<Posted | undefined> => {
    const done = await posted(ctx);
    return done !== undefined && owner(ctx, done.principal) ? done : undefined;
  };

  const page = (ctx: Ctx, status: number, html: string): void => {
    renderPage(ctx, status, html);
  };

  /**
   * `GET path`: a list page of the console, for any signed-in user or (`owner`) owners only; the
   * use case `load` lists the items, and `render` makes the page with the notice of the last action.
   */
  const listRoute = <Item>(
    path: string,
    section: Section,
    who: Who,
    load: (principal: Principal) => TaskEither<ApiError, readonly Item[]>,
    render: (chrome: Chrome, items: readonly Item[], notice?: string) => string,
  ): void => {
    router.get(path, async (ctx) => {
      const principal = await viewerAs(ctx, who);
      if (principal === undefined) return;
      const items = await run(ctx, load(principal));
      if (items === undefined) return;
      page(ctx, 200, render(chromeOf(ctx, principal, section), items, noticeOf(ctx)));
    });
  };

  /**
   * `GET path`: the confirmation page of a destructive action. `find` loads what the action is on
   * from the path's parameters, or answers with the error page and gives `undefined`; `confirm`
   * says what the page asks.
   */
  const confirmRoute = <Found>(
    path: string,
    section: Section,
    who: Who,
    find: (ctx: Ctx, principal: Principal, params: PathParams) => Promise<Found | undefined>,
    confirm: (found: Found) => ConfirmView,
  ): void => {
    router.get(path, async (ctx) => {
      const principal = await viewerAs(ctx, who);
      if (principal === undefined) return;
      const found = await find(ctx, principal, ctx.params);
      if (found === undefined) return;
      page(ctx, 200, confirmPage(chromeOf(ctx, principal, section), confirm(found)));
    });
  };

  // Home and sign-out -------------------------------------------------------------------------

  router.get('/', async (ctx) => {
    const principal = await browserSession(useCases, ctx);
    if (principal === undefined) page(ctx, 200, landingPage());
    else page(ctx, 200, homePage(chromeOf(ctx, principal, 'home'), principal.user));
  });

  router.post('/logout', form, async (ctx) => {
    const done = await posted(ctx);
    if (done === undefined) return;
    if (!(await succeeded(ctx, useCases.logout(done.principal, requestMeta(ctx))))) return;
    clearSessionCookie(ctx, secure);
    seeOther(ctx, '/login');
  });

  // Authorized applications --------------------------------------------------------------------

  listRoute(
    '/authorized-apps',
    'authorized-apps',
    'member',
    (principal) => useCases.listAuthorizations(principal),
    authorizedAppsPage,
  );

  confirmRoute(
    '/authorized-apps/revoke-all',
    'authorized-apps',
    'member',
    // Every authorization of the signed-in user: nothing to look up first.
    (_ctx, principal) => Promise.resolve(principal),
    () => ({
      title: 'Revoke every application?',
      message: 'Every application you authorized loses access at once, and its tokens stop working.',
      action: '/authorized-apps/revoke-all',
      button: 'Revoke all',
      cancelHref: '/authorized-apps',
    }),
  );

  router.post('/authorized-apps/revoke-all', form, async (ctx) => {
    const done = await posted(ctx);
    if (done === undefined) return;
    if (!(await succeeded(ctx, useCases.revokeAllUserGrants(done.principal, requestMeta(ctx))))) return;
    seeOther(ctx, '/authorized-apps?done=revoked-all');
  });

  /** The signed-in user's authorization of the path's client, or the error page. */
  const authorization = async (ctx: Ctx, principal: Principal, params: PathParams) => {
    const clientId = uuidParam<ClientId>(params.client);
    const list = await run(ctx, useCases.listAuthorizations(principal));
    if (list === undefined) return undefined;
    const found = list.find((a) => a.client.id === clientId);
    if (found === undefined) {
      errorPage(ctx, { status: 404, message: 'You have not authorized this application.' });
      return undefined;
    }
    return found;
  };

  confirmRoute(
    '/authorized-apps/:client/revoke',
    'authorized-apps',
    'member',
    authorization,
    ({ client }) => ({
      title: `Revoke ${client.name}?`,
      message: `${client.name} loses access to your account at once, and its tokens stop working. It would have to ask you again.`,
      action: `/authorized-apps/${client.id}/revoke`,
      button: 'Revoke access',
      cancelHref: '/authorized-apps',
    }),
  );

  router.post('/authorized-apps/:client/revoke', form, async (ctx) => {
    const done = await posted(ctx);
    if (done === undefined) return;
    const clientId = uuidParam<ClientId>(ctx.params.client);
    if (clientId === undefined) {
      errorPage(ctx, { status: 404, message: 'There is no such application.' });
      return;
    }
    const revoked = useCases.revokeUserGrantsForClient(done.principal, clientId, requestMeta(ctx));
    if (!(await succeeded(ctx, revoked))) return;
    seeOther(ctx, '/authorized-apps?done=revoked');
  });

  // Sessions and password ------------------------------------------------------------------

  listRoute('/sessions', 'sessions', 'member', (principal) => useCases.listSessions(principal), sessionsPage);

  router.post('/sessions/:session/end', form, async (ctx) => {
    const done = await posted(ctx);
    if (done === undefined) return;
    const id = uuidParam<ApiKeyId>(ctx.params.session);
    if (id === undefined) {
      errorPage(ctx, { status: 404, message: 'Session not found.' });
      return;
    }
    if (!(await succeeded(ctx, useCases.endSession(done.principal, id, requestMeta(ctx))))) return;
    seeOther(ctx, '/sessions?done=ended');
  });

  router.get('/password', async (ctx) => {
    const principal = await viewer(ctx);
    if (principal === undefined) return;
    page(ctx, 200, passwordPage(chromeOf(ctx, principal, 'password'), { fields: {} }, noticeOf(ctx)));
  });

  router.post('/password', form, async (ctx) => {
    const done = await posted(ctx);
    if (done === undefined) return;
    const chrome = chromeOf(ctx, done.principal, 'password');
    const input = decodeFields(PasswordChange, {
      currentPassword: done.fields.get('current_password') ?? '',
      newPassword: done.fields.get('new_password') ?? '',
    });
    if (E.isLeft(input)) {
      const renamed = input.left.map((v) => ({
        field: v.field === 'newPassword' ? 'new_password' : 'current_password',
        detail: v.detail,
      }));
      page(ctx, 400, passwordPage(chrome, fieldErrors(renamed)));
      return;
    }
    const result = await useCases.changePassword(done.principal, input.right, requestMeta(ctx))();
    if (E.isLeft(result)) {
      if (result.left.status === 400 && result.left.validations !== undefined) {
        page(ctx, 400, passwordPage(chrome, fieldErrors(result.left.validations)));
        return;
      }
      failed(ctx, result.left);
      return;
    }
    seeOther(ctx, '/password?done=password-changed');
  });

  // Applications -------------------------------------------------------------------------------

  const APPS_PAGE = { limit: 500, offset: 0 };

  listRoute(
    '/apps',
    'apps',
    'owner',
    (principal) => useCases.listApps(principal, { ...APPS_PAGE, dynamicallyRegistered: false }),
    appsPage,
  );

  router.get('/apps/new', async (ctx) => {
    const principal = await viewerAs(ctx, 'owner');
    if (principal === undefined) return;
    page(
      ctx,
      200,
      appFormPage(chromeOf(ctx, principal, 'apps'), {
        values: {},
        errors: { fields: {} },
        supportedScopes: config.supportedScopes,
      }),
    );
  });

  /** The form again, with what was typed and what is wrong; a 5xx is the error page instead. */
  const appFormFailed = (
    ctx: Ctx,
    done: Posted,
    error: ApiError,
    app: Parameters<typeof appFormPage>[1]['app'],
  ): void => {
    if (error.status >= 500 || error.status === 403 || error.status === 404) {
      failed(ctx, error);
      return;
    }
    const errors =
      error.validations === undefined
        ? fieldErrors([], error.message)
        : fieldErrors(error.validations, 'Please correct the fields below.');
    page(
      ctx,
      error.status,
      appFormPage(chromeOf(ctx, done.principal, 'apps'), {
        ...(app === undefined ? {} : { app }),
        values: valuesOf(done.fields, APP_FIELDS),
        errors,
        supportedScopes: config.supportedScopes,
      }),
    );
  };

  router.post('/apps', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const input = decodeApp(config)(appBody(done.fields, true));
    if (E.isLeft(input)) {
      appFormFailed(ctx, done, input.left, undefined);
      return;
    }
    const created = await useCases.createApp(done.principal, input.right, requestMeta(ctx))();
    if (E.isLeft(created)) {
      appFormFailed(ctx, done, created.left, undefined);
      return;
    }
    seeOther(ctx, `/apps/${created.right.id}?done=app-created`);
  });

  /**
   * The app of the path, or the error page: an owner-managed app (`managed`) or a self-registered
   * client (`registered`); an app of the other kind is not found here.
   */
  const appOfKind = async (
    ctx: Ctx,
    principal: Principal,
    rawId: string | undefined,
    kind: 'managed' | 'registered',
  ): Promise<OAuthClient | undefined> => {
    const id = uuidParam<ClientId>(rawId);
    if (id !== undefined) {
      const app = await run(ctx, useCases.getApp(principal, id));
      if (app === undefined) return undefined; // the use case failed: its error page is the answer
      if (app.dynamicallyRegistered === (kind === 'registered')) return app;
    }
    const message = kind === 'registered' ? 'There is no such client.' : 'There is no such application.';
    errorPage(ctx, { status: 404, message });
    return undefined;
  };

  const managedApp = (ctx: Ctx, principal: Principal, rawId: string | undefined) =>
    appOfKind(ctx, principal, rawId, 'managed');

  const showApp = async (
    ctx: Ctx,
    principal: Principal,
    rawId: string | undefined,
    newSecret?: string,
  ): Promise<void> => {
    const app = await managedApp(ctx, principal, rawId);
    if (app === undefined) return;
    const secrets =
      app.clientType === 'public' ? [] : await run(ctx, useCases.listAppSecrets(principal, app.id));
    if (secrets === undefined) return;
    const notice = noticeOf(ctx);
    page(
      ctx,
      200,
      appPage(chromeOf(ctx, principal, 'apps'), {
        app,
        secrets,
        issuer: config.issuer,
        // A fresh id on every render: the form creates at most one secret (see the POST below).
        secretFormId: randomUUID(),
        ...(newSecret === undefined ? {} : { newSecret }),
        ...(notice === undefined ? {} : { notice }),
      }),
    );
  };

  router.get('/apps/:app', async (ctx) => {
    const principal = await viewerAs(ctx, 'owner');
    if (principal === undefined) return;
    await showApp(ctx, principal, ctx.params.app);
  });

  router.get('/apps/:app/edit', async (ctx) => {
    const principal = await viewerAs(ctx, 'owner');
    if (principal === undefined) return;
    const app = await managedApp(ctx, principal, ctx.params.app);
    if (app === undefined) return;
    page(
      ctx,
      200,
      appFormPage(chromeOf(ctx, principal, 'apps'), {
        app,
        values: appFormValues(app),
        errors: { fields: {} },
        supportedScopes: config.supportedScopes,
      }),
    );
  });

  router.post('/apps/:app/edit', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const app = await managedApp(ctx, done.principal, ctx.params.app);
    if (app === undefined) return;
    const input = decodeApp(config)(appBody(done.fields, false));
    if (E.isLeft(input)) {
      appFormFailed(ctx, done, input.left, app);
      return;
    }
    const updated = await useCases.updateApp(done.principal, app.id, input.right, requestMeta(ctx))();
    if (E.isLeft(updated)) {
      appFormFailed(ctx, done, updated.left, app);
      return;
    }
    seeOther(ctx, `/apps/${app.id}?done=app-saved`);
  });

  confirmRoute(
    '/apps/:app/delete',
    'apps',
    'owner',
    (ctx, principal, params) => managedApp(ctx, principal, params.app),
    (app) => ({
      title: `Delete ${app.name}?`,
      message: `${app.name} is deleted with its secrets, and every token issued to it stops working. This cannot be undone.`,
      action: `/apps/${app.id}/delete`,
      button: 'Delete application',
      cancelHref: `/apps/${app.id}`,
    }),
  );

  router.post('/apps/:app/delete', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const app = await managedApp(ctx, done.principal, ctx.params.app);
    if (app === undefined) return;
    if (!(await succeeded(ctx, useCases.deleteApp(done.principal, app.id, requestMeta(ctx))))) return;
    seeOther(ctx, '/apps?done=app-deleted');
  });

  // The new secret is in this answer only: it is not redirected to, it is stored nowhere in
  // plaintext, and the page is no-store like every page. The form carries the id the secret gets,
  // fresh on every render: the same form sent again (a reload of this page, a double click) finds
  // that id taken, creates nothing and is sent to the app page, which says the secret was shown
  // once (docs/http-api.md#web-console, docs/security.md#the-new-secret-page).
  router.post('/apps/:app/secrets', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const app = await managedApp(ctx, done.principal, ctx.params.app);
    if (app === undefined) return;
    const secretId = uuidParam<ClientSecretId>(done.fields.get(SECRET_ID_FIELD) ?? undefined);
    if (secretId === undefined) {
      errorPage(ctx, {
        status: 400,
        message: 'The form was stale. Please go back, reload and try again.',
      });
      return;
    }
    const created = await run(
      ctx,
      useCases.createAppSecretOnce(done.principal, app.id, secretId, requestMeta(ctx)),
    );
    if (created === undefined) return;
    if (created === SECRET_ALREADY_CREATED) {
      seeOther(ctx, `/apps/${app.id}?done=secret-shown-once`);
      return;
    }
    await showApp(ctx, done.principal, app.id, created.token);
    ctx.set('Pragma', 'no-cache');
    if (ctx.status === 200) ctx.status = 201;
  });

  const secretOf = async (ctx: Ctx, principal: Principal, rawApp?: string, rawSecret?: string) => {
    const app = await managedApp(ctx, principal, rawApp);
    if (app === undefined) return undefined;
    const secretId = uuidParam<ClientSecretId>(rawSecret);
    const secrets = await run(ctx, useCases.listAppSecrets(principal, app.id));
    if (secrets === undefined) return undefined;
    const secret = secrets.find((s) => s.id === secretId);
    if (secret === undefined) {
      errorPage(ctx, { status: 404, message: 'Client secret not found.' });
      return undefined;
    }
    return { app, secret };
  };

  confirmRoute(
    '/apps/:app/secrets/:secret/delete',
    'apps',
    'owner',
    (ctx, principal, params) => secretOf(ctx, principal, params.app, params.secret),
    ({ app, secret }) => ({
      title: 'Delete this secret?',
      message: `The secret ending in ${secret.displaySuffix} of ${app.name} stops authenticating at once.`,
      action: `/apps/${app.id}/secrets/${secret.id}/delete`,
      button: 'Delete secret',
      cancelHref: `/apps/${app.id}`,
      extra: revokeTokensOption,
    }),
  );

  router.post('/apps/:app/secrets/:secret/delete', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const found = await secretOf(ctx, done.principal, ctx.params.app, ctx.params.secret);
    if (found === undefined) return;
    const revokeTokens = done.fields.get('revoke_tokens') === 'true';
    const deleted = useCases.deleteAppSecret(
      done.principal,
      found.app.id,
      found.secret.id,
      revokeTokens,
      requestMeta(ctx),
    );
    if (!(await succeeded(ctx, deleted))) return;
    seeOther(ctx, `/apps/${found.app.id}?done=secret-deleted`);
  });

  // Self-registered clients -----------------------------------------------------------------------

  listRoute(
    '/registered-clients',
    'registered-clients',
    'owner',
    (principal) => useCases.listRegisteredClients(principal),
    registeredClientsPage,
  );

  const registeredClient = (ctx: Ctx, principal: Principal, rawId: string | undefined) =>
    appOfKind(ctx, principal, rawId, 'registered');

  confirmRoute(
    '/registered-clients/:client/delete',
    'registered-clients',
    'owner',
    (ctx, principal, params) => registeredClient(ctx, principal, params.client),
    (client) => ({
      title: `Delete ${client.name}?`,
      message: `The self-registered client ${client.name} is deleted, and every token issued to it stops working.`,
      action: `/registered-clients/${client.id}/delete`,
      button: 'Delete client',
      cancelHref: '/registered-clients',
    }),
  );

  router.post('/registered-clients/:client/delete', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const client = await registeredClient(ctx, done.principal, ctx.params.client);
    if (client === undefined) return;
    if (!(await succeeded(ctx, useCases.deleteApp(done.principal, client.id, requestMeta(ctx))))) return;
    seeOther(ctx, '/registered-clients?done=client-deleted');
  });

  // Users ------------------------------------------------------------------------------------------

  listRoute(
    '/users',
    'users',
    'owner',
    (principal) => useCases.listUsers(principal, { limit: 500, offset: 0 }),
    usersPage,
  );

  router.get('/users/new', async (ctx) => {
    const principal = await viewerAs(ctx, 'owner');
    if (principal === undefined) return;
    page(ctx, 200, userFormPage(chromeOf(ctx, principal, 'users'), {}, { fields: {} }));
  });

  router.post('/users', form, async (ctx) => {
    const done = await ownerPosted(ctx);
    if (done === undefined) return;
    const values = valuesOf(done.fields, ['email', 'username', 'name', 'role']);
    const again = (status: number, errors: FormErrors) => {
      page(ctx, status, userFormPage(chromeOf(ctx, done.principal, 'users'), values, errors));
    };
    const input = decodeFields(NewUser, {
      email: values.email,
      username: values.username,
      password: done.fields.get('password') ?? '',
      ...(values.name === '' ? {} : { name: values.name }),
      ...(values.role === '' ? {} : { role: values.role }),
    });
    if (E.isLeft(input)) {
      again(400, fieldErrors(input.left));
      return;
    }
    const created = await useCases.createUser(done.principal, input.right, requestMeta(ctx))();
    if (E.isLeft(created)) {
      const { status, publicDetail, message } = created.left;
      if (status === 409 && publicDetail !== undefined)
        again(409, fieldErrors([{ field: publicDetail, detail: message }]));
      else if (status === 400) again(400, fieldErrors(created.left.validations ?? [], message));
      else failed(ctx, created.left);
      return;
    }
    seeOther(ctx, '/users?done=user-created');
  });

  // Audit log ------------------------------------------------------------------------------------

  router.get('/audit-log', async (ctx) => {
    const principal = await viewerAs(ctx, 'owner');
    if (principal === undefined) return;
    const users = await run(ctx, useCases.listUsers(principal, AUDIT_USERS));
    if (users === undefined) return;
    const rawAction = queryValue(ctx, 'action');
    const rawType = queryValue(ctx, 'resource_type');
    const rawUser = queryValue(ctx, 'user');
    const rawPage = queryValue(ctx, 'page') ?? '1';
    const action = oneOf<AuditAction>(AUDIT_ACTIONS, rawAction);
    const resourceType = oneOf<AuditResourceType>(AUDIT_RESOURCE_TYPES, rawType);
    const userId = uuidParam<UserId>(rawUser);
    const pageNumber = /^[1-9][0-9]{0,5}$/.test(rawPage) ? Number(rawPage) : undefined;
    const filters: AuditFilters = {
      ...(action === undefined ? {} : { action }),
      ...(resourceType === undefined ? {} : { resourceType }),
      ...(userId === undefined ? {} : { userId }),
    };
    const invalid =
      (rawAction !== undefined && action === undefined) ||
      (rawType !== undefined && resourceType === undefined) ||
      (rawUser !== undefined && userId === undefined) ||
      pageNumber === undefined;
    const view = {
      page: pageNumber ?? 1,
      pageSize: AUDIT_PAGE_SIZE,
      filters,
      actions: AUDIT_ACTIONS,
      resourceTypes: AUDIT_RESOURCE_TYPES,
      users,
    };
    const chrome = chromeOf(ctx, principal, 'audit-log');
    if (invalid) {
      page(ctx, 400, auditPage(chrome, { ...view, entries: [], count: 0, error: 'A filter was not valid.' }));
      return;
    }
    const listed = await run(
      ctx,
      useCases.listAuditLogs(principal, {
        limit: AUDIT_PAGE_SIZE,
        offset: (view.page - 1) * AUDIT_PAGE_SIZE,
        ...(action === undefined ? {} : { action }),
        ...(resourceType === undefined ? {} : { resourceType }),
        ...(userId === undefined ? {} : { actorId: userId }),
      }),
    );
    if (listed === undefined) return;
    page(ctx, 200, auditPage(chrome, { ...view, entries: listed.entries, count: listed.count }));
  });

  return router;
};
