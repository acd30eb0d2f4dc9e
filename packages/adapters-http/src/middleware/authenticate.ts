import { ApiErrors, CREDENTIAL_PREFIXES, requireScope, type ApiError, type UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Next } from 'koa';
import { SESSION_COOKIE } from '../config.js';
import type { Ctx } from '../state.js';
import { writeApiError, type ChallengeOptions } from './errors.js';

const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i;

/** A session token in the cookie; an access token there is not a credential (docs/http-api.md#bearer-tokens). */
const sessionCookie = (ctx: Ctx): string | undefined => {
  // No `Cookie` header (every API client): no need to set up Koa's cookie jar.
  if (ctx.get('Cookie') === '') return undefined;
  const value = ctx.cookies.get(SESSION_COOKIE);
  return value?.startsWith(CREDENTIAL_PREFIXES.session) === true ? value : undefined;
};

/**
 * Reads the API key of a request (RFC 6750 §2.1; docs/http-api.md#bearer-tokens): the `Authorization: Bearer`
 * header, or, only when there is no such header and `allowCookie`, the session cookie. An
 * `access_token` query parameter is never read (OAuth 2.1 §5.1.1). Two different credentials are
 * a 400.
 */
export const readCredential = (ctx: Ctx, allowCookie: boolean): E.Either<ApiError, string | undefined> => {
  const header = ctx.get('Authorization');
  const cookie = allowCookie ? sessionCookie(ctx) : undefined;
  if (header === '') return E.right(cookie);
  const match = BEARER.exec(header);
  if (match?.[1] === undefined) return E.left(ApiErrors.unauthorized('malformed'));
  if (cookie !== undefined && cookie !== match[1]) {
    return E.left(ApiErrors.badRequest('The request carries two different credentials.'));
  }
  return E.right(match[1]);
};

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request that a browser may have sent on its own (the cookie is its only credential)
 * comes from the issuer's own pages (docs/http-api.md#cookie-authenticated-writes): `Sec-Fetch-Site: same-origin` (Fetch
 * Metadata, sent by every current browser), or else an `Origin` equal to the issuer's. A request
 * with neither is refused: a browser sends at least one on every state-changing request, and a
 * program that is not a browser has the `Authorization` header. `SameSite=Lax` alone does not
 * stop a same-site sibling (another subdomain) from posting.
 */
export const fromIssuerOrigin = (ctx: Ctx, issuerOrigin: string): boolean => {
  const site = ctx.get('Sec-Fetch-Site');
  if (site !== '') return site === 'same-origin';
  return ctx.get('Origin') === issuerOrigin;
};

export interface AuthenticatedOptions extends ChallengeOptions {
  readonly scope: string;
  /** The issuer, to name the route's URL for the RFC 8707 audience check. */
  readonly issuer: string;
  /** The session cookie counts (not on the MCP endpoint, docs/http-api.md#mcp). */
  readonly allowCookie: boolean;
}

/**
 * Route guard: authenticates the caller and checks the route's scope. Validity comes first, so a
 * token that is not valid here gets the 401, never the 403 (docs/http-api.md#bearer-tokens).
 */
export const authenticated = (useCases: Pick<UseCases, 'authenticate'>, options: AuthenticatedOptions) => {
  const requireRouteScope = requireScope(options.scope);
  const issuerOrigin = new URL(options.issuer).origin;
  return async (ctx: Ctx, next: Next): Promise<void> => {
    const credential = readCredential(ctx, options.allowCookie);
    if (E.isLeft(credential)) {
      writeApiError(ctx, credential.left, options);
      return;
    }
    if (credential.right === undefined) {
      writeApiError(ctx, ApiErrors.unauthorized('missing'), options);
      return;
    }
    const cookieOnly = ctx.get('Authorization') === '';
    if (cookieOnly && !SAFE_METHODS.has(ctx.method) && !fromIssuerOrigin(ctx, issuerOrigin)) {
      writeApiError(ctx, ApiErrors.forbidden('A request signed in by cookie must come from this site.'));
      return;
    }
    const principal = await useCases.authenticate(
      credential.right,
      ['session', 'access'],
      `${options.issuer}${ctx.path}`,
      options.scope,
    )();
    const allowed = E.isLeft(principal) ? principal : requireRouteScope(principal.right);
    if (E.isLeft(allowed)) {
      writeApiError(ctx, allowed.left, options);
      return;
    }
    ctx.state.principal = allowed.right;
    await next();
  };
};
