import Router from '@koa/router';
import {
  ApiErrors,
  AppName,
  CallbackUrl,
  ClientTypeCodec,
  IconUrl,
  looseAppProblems,
  parseScope,
  requireOwner,
  SCOPE_ALL,
  Uuid,
  type ApiError,
  type AppInput,
  type AppSettings,
  type ClientId,
  type ClientSecretId,
  type Principal,
  type UseCases,
  type UserId,
  type Validation,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { resourceMetadataUrl, type HttpConfig } from '../config.js';
import { authenticated } from '../middleware/authenticate.js';
import { decodeBody, jsonBody, requestMeta } from '../middleware/body.js';
import { noStore } from '../middleware/security-headers.js';
import { enumParam, pagingParams, singleParam } from '../query.js';
import type { Ctx, RequestState } from '../state.js';
import { wireApp, wireSecret } from '../wire.js';
import { respond, withDecoded } from './respond.js';

/** The wire body of `POST`/`PUT …/apps` (docs/http-api.md#apps). */
const AppBody = t.intersection([
  t.type({ name: AppName, callback_url: CallbackUrl }),
  t.partial({
    icon: IconUrl,
    redirect_uris: t.array(t.string),
    client_type: ClientTypeCodec,
    scope: t.string,
    introspect_any: t.boolean,
    client_credentials: t.boolean,
    client_credentials_scope: t.string,
  }),
]);

/** `null` in an optional field counts as omitted. */
const withoutNulls = (body: unknown): unknown =>
  typeof body === 'object' && body !== null && !Array.isArray(body)
    ? Object.fromEntries(Object.entries(body).filter(([, value]) => value !== null))
    : body;

const MAX_REDIRECT_URIS = 100;

const toAppInput = (body: t.TypeOf<typeof AppBody>): E.Either<ApiError, AppInput> =>
  (body.redirect_uris?.length ?? 0) > MAX_REDIRECT_URIS
    ? E.left(
        ApiErrors.badRequest('The request body is invalid.', [
          { field: 'redirect_uris', detail: `must have at most ${MAX_REDIRECT_URIS} entries` },
        ]),
      )
    : E.right({
        name: body.name,
        callbackUrl: body.callback_url,
        ...(body.icon === undefined ? {} : { icon: body.icon }),
        ...(body.redirect_uris === undefined ? {} : { redirectUris: body.redirect_uris }),
        ...(body.client_type === undefined ? {} : { clientType: body.client_type }),
        ...(body.scope === undefined ? {} : { scope: parseScope(body.scope) }),
        ...(body.introspect_any === undefined ? {} : { introspectAny: body.introspect_any }),
        ...(body.client_credentials === undefined ? {} : { clientCredentials: body.client_credentials }),
        ...(body.client_credentials_scope === undefined
          ? {}
          : { clientCredentialsScope: parseScope(body.client_credentials_scope) }),
      });

/**
 * Decodes an app body. When its shape is wrong, the value checks that do not depend on the shape
 * run too, so that every bad field is named in one answer.
 */
export const decodeApp =
  (settings: AppSettings) =>
  (body: unknown): E.Either<ApiError, AppInput> => {
    const cleaned = withoutNulls(body);
    const shaped = decodeBody(AppBody, cleaned);
    if (E.isRight(shaped)) return toAppInput(shaped.right);
    const raw = (typeof cleaned === 'object' && cleaned !== null ? cleaned : {}) as Record<string, unknown>;
    const seen = new Set((shaped.left.validations ?? []).map((v) => v.field));
    const more = looseAppProblems(
      raw.redirect_uris,
      raw.scope,
      settings,
      raw.client_credentials_scope,
    ).filter((v) => !seen.has(v.field));
    return E.left(
      more.length === 0
        ? shaped.left
        : ApiErrors.badRequest(shaped.left.message, [...(shaped.left.validations ?? []), ...more]),
    );
  };

/** A path id that is not a UUID names nothing: 404, like a UUID that matches nothing. */
const pathId = <Id extends string>(
  value: string | undefined,
  notFound: () => ApiError,
): E.Either<ApiError, Id> =>
  value !== undefined && Uuid.is(value) ? E.right(value.toLowerCase() as Id) : E.left(notFound());

const appNotFound = (): ApiError => ApiErrors.notFound('OAuth2 application not found.');
const secretNotFound = (): ApiError => ApiErrors.notFound('Client secret not found.');

const booleanParam = (ctx: Ctx, name: string): E.Either<ApiError, boolean | undefined> =>
  pipe(
    enumParam(ctx.query, name, ['true', 'false']),
    E.map((value) => (value === undefined ? undefined : value === 'true')),
  );

const userIdParam = (ctx: Ctx): E.Either<ApiError, UserId | undefined> =>
  pipe(
    singleParam(ctx.query, 'user_id'),
    E.flatMap((raw): E.Either<Validation, UserId | undefined> =>
      raw === undefined || Uuid.is(raw)
        ? E.right(raw)
        : E.left({ field: 'user_id', detail: 'must be a UUID' }),
    ),
    E.mapLeft((v) => ApiErrors.badRequest('Invalid query parameters.', [v])),
  );

/** OAuth2 apps and their client secrets, the owners' admin API (docs/http-api.md#apps). */
export const appRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const base = '/api/v2/oauth2-provider/apps';
  const challenge = { resourceMetadata: resourceMetadataUrl(config.issuer) };
  const json = jsonBody(config.bodyLimitBytes);
  const toWire = (client: Parameters<typeof wireApp>[0]) => wireApp(client, config.issuer);
  const guard = authenticated(useCases, {
    ...challenge,
    scope: SCOPE_ALL,
    allowCookie: true,
    issuer: config.issuer,
  });

  const principalOf = (ctx: Ctx): Principal => {
    if (ctx.state.principal === undefined) throw new Error('route reached without authentication');
    return ctx.state.principal;
  };

  router.get(base, guard, async (ctx) => {
    const query = pipe(
      E.Do,
      E.bind('page', () => pagingParams(ctx.query, { limit: 100, max: 500 })),
      E.bind('dynamicallyRegistered', () => booleanParam(ctx, 'dynamically_registered')),
      E.bind('userId', () => userIdParam(ctx)),
    );
    await withDecoded(ctx, query, ({ page, dynamicallyRegistered, userId }) =>
      respond(
        ctx,
        useCases.listApps(principalOf(ctx), {
          ...page,
          ...(dynamicallyRegistered === undefined ? {} : { dynamicallyRegistered }),
          ...(userId === undefined ? {} : { userId }),
        }),
        (apps) => (ctx.body = apps.map(toWire)),
        challenge,
      ),
    );
  });

  // A member's write is a 403 whatever its body (docs/http-api.md#apps): the role is checked before the body.
  const ownerThen = <A>(ctx: Ctx, decoded: () => E.Either<ApiError, A>): E.Either<ApiError, A> =>
    E.flatMap(requireOwner(principalOf(ctx)), decoded);

  router.post(base, guard, json, async (ctx) => {
    await withDecoded(
      ctx,
      ownerThen(ctx, () => decodeApp(config)(ctx.request.body)),
      (input) =>
        respond(ctx, useCases.createApp(principalOf(ctx), input, requestMeta(ctx)), (app) => {
          ctx.status = 201;
          ctx.body = toWire(app);
        }),
    );
  });

  router.get(`${base}/:app`, guard, async (ctx) => {
    await withDecoded(ctx, pathId<ClientId>(ctx.params.app, appNotFound), (id) =>
      respond(ctx, useCases.getApp(principalOf(ctx), id), (app) => (ctx.body = toWire(app))),
    );
  });

  router.put(`${base}/:app`, guard, json, async (ctx) => {
    const decoded = pipe(
      E.Do,
      E.bind('id', () => pathId<ClientId>(ctx.params.app, appNotFound)),
      E.bind('input', () => ownerThen(ctx, () => decodeApp(config)(ctx.request.body))),
    );
    await withDecoded(ctx, decoded, ({ id, input }) =>
      respond(
        ctx,
        useCases.updateApp(principalOf(ctx), id, input, requestMeta(ctx)),
        (app) => (ctx.body = toWire(app)),
      ),
    );
  });

  router.delete(`${base}/:app`, guard, async (ctx) => {
    await withDecoded(ctx, pathId<ClientId>(ctx.params.app, appNotFound), (id) =>
      respond(ctx, useCases.deleteApp(principalOf(ctx), id, requestMeta(ctx)), () => (ctx.status = 204)),
    );
  });

  router.get(`${base}/:app/secrets`, guard, async (ctx) => {
    await withDecoded(ctx, pathId<ClientId>(ctx.params.app, appNotFound), (id) =>
      respond(
        ctx,
        useCases.listAppSecrets(principalOf(ctx), id),
        (secrets) => (ctx.body = secrets.map(wireSecret)),
      ),
    );
  });

  router.post(`${base}/:app/secrets`, guard, noStore, async (ctx) => {
    await withDecoded(ctx, pathId<ClientId>(ctx.params.app, appNotFound), (id) =>
      respond(ctx, useCases.createAppSecret(principalOf(ctx), id, requestMeta(ctx)), ({ secret, token }) => {
        ctx.status = 201;
        ctx.body = { id: secret.id, client_secret_full: token };
      }),
    );
  });

  router.delete(`${base}/:app/secrets/:secret`, guard, async (ctx) => {
    const decoded = pipe(
      E.Do,
      E.bind('appId', () => pathId<ClientId>(ctx.params.app, appNotFound)),
      E.bind('secretId', () => pathId<ClientSecretId>(ctx.params.secret, secretNotFound)),
      E.bind('revokeTokens', () => booleanParam(ctx, 'revoke_tokens')),
    );
    await withDecoded(ctx, decoded, ({ appId, secretId, revokeTokens }) =>
      respond(
        ctx,
        useCases.deleteAppSecret(principalOf(ctx), appId, secretId, revokeTokens ?? false, requestMeta(ctx)),
        () => (ctx.status = 204),
      ),
    );
  });

  return router;
};
