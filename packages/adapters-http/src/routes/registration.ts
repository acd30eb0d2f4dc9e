import Router from '@koa/router';
import {
  oauthError,
  Uuid,
  type OAuthClient,
  type OAuthError,
  type Registration,
  type UseCases,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Next } from 'koa';
import type { HttpConfig } from '../config.js';
import { jsonBody, requestMeta, type BodyErrorWriter } from '../middleware/body.js';
import { writeOAuthError } from '../middleware/errors.js';
import { oauthLimiterFailure, type BudgetFactory, type Spend } from '../middleware/rate-limit.js';
import { unsafeTextOAuthError } from '../middleware/text-input.js';
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

/** Refused RFC 7591/7592 bodies, in the OAuth format (docs/http-api.md#conventions, #registration, #paths). */
const writeRegistrationBodyError: BodyErrorWriter = (ctx, problem) => {
  const refuse = (description: string, status: number): void => {
    writeOAuthError(ctx, oauthError('invalid_client_metadata', description, { status }));
  };
  switch (problem.kind) {
    case 'unsupported_media_type':
      refuse('The body must be application/json.', 415);
      return;
    case 'too_large':
      refuse('The body is too large.', 413);
      return;
    case 'malformed':
    case 'unreadable':
      refuse('The body is not valid JSON.', 400);
      return;
    case 'unsafe_text':
      writeOAuthError(ctx, unsafeTextOAuthError(problem.fields[0] ?? 'body', 'invalid_client_metadata'));
      return;
  }
};

const writeTokenError = (ctx: Ctx, error: OAuthError): void => {
  if (error.code === 'invalid_token') ctx.set('WWW-Authenticate', 'Bearer error="invalid_token"');
  writeOAuthError(ctx, error);
};

/** RFC 7591 registration and RFC 7592 management (docs/http-api.md#registration). */
export const registrationRoutes = (
  useCases: UseCases,
  config: HttpConfig,
  budgets: BudgetFactory,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const body = jsonBody(config.bodyLimitBytes, writeRegistrationBodyError, { blankIsMalformed: true });
  const limiter = budgets('register-ip', config.registerRateLimitPerMinute);

  const enabled = async (ctx: Ctx, next: Next): Promise<void> => {
    if (!config.registrationEnabled) {
      ctx.status = 404;
      ctx.body = { message: 'Route not found.' };
      return;
    }
    await next();
  };

  const rateLimited = async (ctx: Ctx, next: Next): Promise<void> => {
    let spent: Spend;
    try {
      spent = await limiter.spend(registrationRateKey(ctx.state.clientIp));
    } catch (error) {
      writeOAuthError(ctx, oauthLimiterFailure(error));
      return;
    }
    if (!spent.allowed) {
      ctx.state.rateLimitedBy = 'registration';
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
    ctx.state.clientId = result.right.client.id;
    ctx.state.registeredClient = true;
    ctx.status = 201;
    ctx.body = wireRegistration(result.right, config.issuer);
  });

  /** Bearer registration access token of the client in the path, or the one 401 of §7. */
  const registered = async (ctx: Ctx, clientId: string): Promise<OAuthClient | undefined> => {
    if (Uuid.is(clientId)) ctx.state.clientId = clientId;
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
