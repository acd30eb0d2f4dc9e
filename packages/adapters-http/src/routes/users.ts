import Router from '@koa/router';
import {
  ApiErrors,
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  LoginRequest,
  NewFirstUser,
  NewUser,
  SCOPE_ALL,
  SCOPE_USER_READ,
  type Principal,
  type UseCases,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { isSecureIssuer, resourceMetadataUrl, type HttpConfig } from '../config.js';
import { authenticated } from '../middleware/authenticate.js';
import { decodeBody, jsonBody, requestMeta } from '../middleware/body.js';
import { clearSessionCookie, setSessionCookie } from '../middleware/cookies.js';
import { writeApiError } from '../middleware/errors.js';
import { noStore } from '../middleware/security-headers.js';
import {
  admitPasswordCheck,
  recordFailure,
  recordSuccess,
  type LoginLimiter,
} from '../middleware/login-limiter.js';
import { enumParam, pagingParams } from '../query.js';
import type { Ctx, RequestState } from '../state.js';
import { wireAuditEntry, wireUser, wireUserText } from '../wire.js';
import { answerJsonText, respond, withDecoded } from './respond.js';

const principalOf = (ctx: Ctx): Principal => {
  if (ctx.state.principal === undefined) throw new Error('route reached without authentication');
  return ctx.state.principal;
};

const setupTokenOf = (body: unknown): string | undefined => {
  const token = (body as { setup_token?: unknown } | undefined)?.setup_token;
  return typeof token === 'string' && token !== '' ? token : undefined;
};

/**
 * Users, sessions and the audit log (docs/http-api.md#users-and-sessions, #audit-log).
 */
export const userRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  limiter: LoginLimiter,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const challenge = { resourceMetadata: resourceMetadataUrl(config.issuer) };
  const guard = (scope: string) =>
    authenticated(useCases, { ...challenge, scope, allowCookie: true, issuer: config.issuer });
  const json = jsonBody(config.bodyLimitBytes);
  const secure = isSecureIssuer(config.issuer);

  router.post('/api/v2/users/first', json, async (ctx) => {
    await withDecoded(ctx, decodeBody(NewFirstUser, ctx.request.body), (input) =>
      respond(
        ctx,
        useCases.createFirstUser(input, setupTokenOf(ctx.request.body), requestMeta(ctx)),
        (user) => {
          ctx.status = 201;
          ctx.body = wireUser(user);
        },
      ),
    );
  });

  router.post('/api/v2/users/login', noStore, json, async (ctx) => {
    await withDecoded(ctx, decodeBody(LoginRequest, ctx.request.body), async (input) => {
      const refuse = (retryAfter: number) => {
        writeApiError(ctx, ApiErrors.rateLimited(retryAfter));
      };
      if (!(await admitPasswordCheck(ctx, limiter, input.email, refuse))) return;
      const result = await useCases.login(input, requestMeta(ctx))();
      if (E.isLeft(result)) {
        const failure = result.left.status === 401 ? await recordFailure(limiter, input.email) : undefined;
        writeApiError(ctx, failure ?? result.left);
        return;
      }
      await recordSuccess(ctx, limiter, input.email);
      setSessionCookie(ctx, result.right.token, secure);
      ctx.status = 201;
      ctx.body = { session_token: result.right.token };
    });
  });

  router.post('/api/v2/users/logout', guard(SCOPE_ALL), async (ctx) => {
    await respond(
      ctx,
      useCases.logout(principalOf(ctx), requestMeta(ctx)),
      () => {
        clearSessionCookie(ctx, secure);
        ctx.status = 204;
      },
      challenge,
    );
  });

  router.get('/api/v2/users/me', guard(SCOPE_USER_READ), async (ctx) => {
    await respond(
      ctx,
      useCases.getMe(principalOf(ctx)),
      (user) => {
        answerJsonText(ctx, wireUserText(user));
      },
      challenge,
    );
  });

  router.get('/api/v2/users', guard(SCOPE_ALL), async (ctx) => {
    await withDecoded(ctx, pagingParams(ctx.query, { limit: 100, max: 500 }), (page) =>
      respond(
        ctx,
        useCases.listUsers(principalOf(ctx), page),
        (users) => (ctx.body = users.map(wireUser)),
        challenge,
      ),
    );
  });

  router.post('/api/v2/users', guard(SCOPE_ALL), json, async (ctx) => {
    await withDecoded(ctx, decodeBody(NewUser, ctx.request.body), (input) =>
      respond(
        ctx,
        useCases.createUser(principalOf(ctx), input, requestMeta(ctx)),
        (user) => {
          ctx.status = 201;
          ctx.body = wireUser(user);
        },
        challenge,
      ),
    );
  });

  router.get('/api/v2/audit-logs', guard(SCOPE_ALL), async (ctx) => {
    const query = pipe(
      E.Do,
      E.bind('page', () => pagingParams(ctx.query, { limit: 50, max: 500 })),
      E.bind('resourceType', () => enumParam(ctx.query, 'resource_type', AUDIT_RESOURCE_TYPES)),
      E.bind('action', () => enumParam(ctx.query, 'action', AUDIT_ACTIONS)),
    );
    await withDecoded(ctx, query, ({ page, resourceType, action }) =>
      respond(
        ctx,
        useCases.listAuditLogs(principalOf(ctx), {
          ...page,
          ...(resourceType === undefined ? {} : { resourceType }),
          ...(action === undefined ? {} : { action }),
        }),
        ({ entries, count }) => (ctx.body = { audit_logs: entries.map(wireAuditEntry), count }),
        challenge,
      ),
    );
  });

  return router;
};
