import Router from '@koa/router';
import {
  oauthError,
  type OAuthClient,
  type OAuthError,
  type Registration,
  type UseCases,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Next } from 'koa';
import { koaBody } from 'koa-body';
import type { HttpConfig } from '../config.js';
import { declaresType, requestMeta } from '../middleware/body.js';
import { parserError, writeOAuthError } from '../middleware/errors.js';
import { FixedWindowBudget } from '../middleware/rate-limit.js';
import { unsafeBodyFields, unsafeTextOAuthError } from '../middleware/text-input.js';
import type { Ctx, RequestState } from '../state.js';
import { decodeRegistration, decodeRegistrationUpdate } from '../wire/client-metadata.js';

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** A registration on the wire (RFC 7591 §3.2.1, RFC 7592 §3); never `null`, never a stored hash. */
export const wireRegistration = (registration: Registration, issuer: string): Record<string, unknown> => {
  const { client } = registration;
  const m = client.metadata;
  return {
    client_id: client.id,
    client_id_issued_at: seconds(client.createdAt),
    ...(registration.clientSecret === undefined
      ? {}
      : { client_secret: registration.clientSecret, client_secret_expires_at: 0 }),
    ...(registration.registrationAccessToken === undefined
      ? {}
      : { registration_access_token: registration.registrationAccessToken }),
    registration_client_uri: `${issuer}/oauth2/clients/${client.id}`,
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: client.grantTypes,
    response_types: client.responseTypes,
    ...(client.scope === undefined ? {} : { scope: client.scope.join(' ') }),
    ...(m.clientName === undefined ? {} : { client_name: m.clientName }),
    ...(m.clientUri === undefined ? {} : { client_uri: m.clientUri }),
    ...(m.logoUri === undefined ? {} : { logo_uri: m.logoUri }),
    ...(m.tosUri === undefined ? {} : { tos_uri: m.tosUri }),
    ...(m.policyUri === undefined ? {} : { policy_uri: m.policyUri }),
    ...(m.jwksUri === undefined ? {} : { jwks_uri: m.jwksUri }),
    ...(m.jwks === undefined ? {} : { jwks: m.jwks }),
    ...(m.contacts === undefined ? {} : { contacts: m.contacts }),
    ...(m.softwareId === undefined ? {} : { software_id: m.softwareId }),
    ...(m.softwareVersion === undefined ? {} : { software_version: m.softwareVersion }),
    ...(m.applicationType === undefined ? {} : { application_type: m.applicationType }),
  };
};

/**
 * The rate-limit key of a client address: IPv6 clients are limited per /64, since one host
 * commonly holds a whole /64 (docs/http-api.md#registration).
 */
export const registrationRateKey = (ip: string): string => {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
};

/** JSON bodies for RFC 7591/7592, with failures in the OAuth format (docs/http-api.md#conventions, #registration, #paths). */
const registrationBody = (limitBytes: number) => {
  const parse = koaBody({
    json: true,
    jsonStrict: true,
    urlencoded: false,
    text: false,
    multipart: false,
    jsonLimit: limitBytes,
    // co-body answers `{}` for an empty body; the raw text tells an empty body from `{}`.
    includeUnparsed: true,
  });
  return async (ctx: Ctx, next: Next): Promise<void> => {
    if (!declaresType(ctx, 'application/json')) {
      writeOAuthError(
        ctx,
        oauthError('invalid_client_metadata', 'The body must be application/json.', { status: 415 }),
      );
      return;
    }
    try {
      await parse(ctx, async () => {
        /* parsed; the route runs after this middleware returns */
      });
    } catch (error) {
      const mapped = parserError(error);
      const status = mapped?.status === 413 ? 413 : 400;
      writeOAuthError(
        ctx,
        oauthError(
          'invalid_client_metadata',
          status === 413 ? 'The body is too large.' : 'The body is not valid JSON.',
          {
            status,
          },
        ),
      );
      return;
    }
    if (isBlank(ctx)) {
      writeOAuthError(ctx, oauthError('invalid_client_metadata', 'The body is not valid JSON.'));
      return;
    }
    const [unsafe] = unsafeBodyFields(ctx.request.body);
    if (unsafe !== undefined) {
      writeOAuthError(ctx, unsafeTextOAuthError(unsafe, 'invalid_client_metadata'));
      return;
    }
    await next();
  };
};

/**
 * No body, or an empty or whitespace-only one: malformed JSON (RFC 8259 §2), not a registration
 * without fields. koa-body keeps the raw text of a body it parsed; one it never read has none.
 */
const isBlank = (ctx: Ctx): boolean => {
  const raw = (ctx.request as { rawBody?: unknown }).rawBody;
  return typeof raw !== 'string' || raw.trim() === '';
};

const writeTokenError = (ctx: Ctx, error: OAuthError): void => {
  if (error.code === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
  writeOAuthError(ctx, error);
};

/** RFC 7591 registration and RFC 7592 management (docs/http-api.md#registration). */
export const registrationRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const body = registrationBody(config.bodyLimitBytes);
  const limiter = new FixedWindowBudget(config.clock, config.registerRateLimitPerMinute);

  const enabled = async (ctx: Ctx, next: Next): Promise<void> => {
    if (!config.registrationEnabled) {
      ctx.status = 404;
      ctx.body = { message: 'Route not found.' };
      return;
    }
    await next();
  };

  const rateLimited = async (ctx: Ctx, next: Next): Promise<void> => {
    const spent = limiter.spend(registrationRateKey(ctx.state.clientIp));
    if (!spent.allowed) {
      ctx.set('Retry-After', String(spent.retryAfterSeconds));
      writeOAuthError(ctx, oauthError('temporarily_unavailable', 'Too many registrations; try again later.'));
      return;
    }
    await next();
  };

  router.post('/oauth2/register', enabled, rateLimited, body, async (ctx) => {
    const request = decodeRegistration(ctx.request.body);
    const result = E.isLeft(request)
      ? request
      : await useCases.registerClient(request.right, requestMeta(ctx))();
    if (E.isLeft(result)) {
      writeOAuthError(ctx, result.left);
      return;
    }
    ctx.status = 201;
    ctx.body = wireRegistration(result.right, config.issuer);
  });

  /** Bearer registration access token of the client in the path, or the one 401 of §7. */
  const registered = async (ctx: Ctx, clientId: string): Promise<OAuthClient | undefined> => {
    const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(ctx.get('Authorization'));
    const client = await useCases.authenticateRegistration(clientId, match?.[1])();
    if (E.isLeft(client)) {
      writeTokenError(ctx, client.left);
      return undefined;
    }
    return client.right;
  };

  router.get('/oauth2/clients/:client_id', enabled, async (ctx) => {
    const client = await registered(ctx, ctx.params.client_id ?? '');
    if (client !== undefined) ctx.body = wireRegistration({ client }, config.issuer);
  });

  router.put('/oauth2/clients/:client_id', enabled, async (ctx) => {
    const client = await registered(ctx, ctx.params.client_id ?? '');
    if (client === undefined) return;
    await body(ctx, async () => {
      const request = decodeRegistrationUpdate(ctx.request.body);
      const result = E.isLeft(request)
        ? request
        : await useCases.updateClientRegistration(client, request.right, requestMeta(ctx))();
      if (E.isLeft(result)) writeTokenError(ctx, result.left);
      else ctx.body = wireRegistration(result.right, config.issuer);
    });
  });

  router.delete('/oauth2/clients/:client_id', enabled, async (ctx) => {
    const client = await registered(ctx, ctx.params.client_id ?? '');
    if (client === undefined) return;
    const result = await useCases.deleteClientRegistration(client, requestMeta(ctx))();
    if (E.isLeft(result)) writeTokenError(ctx, result.left);
    else ctx.status = 204;
  });

  return router;
};
