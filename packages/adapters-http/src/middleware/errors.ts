import {
  ApiErrors,
  MAX_LOCATION_LENGTH,
  isApiError,
  isOAuthError,
  type ApiError,
  type CredentialProblem,
  type OAuthError,
} from '@latchkey/domain';
import type { Ctx } from '../state.js';
import { unsafeTextApiError } from './text-input.js';

/** RFC 6750 §3 error descriptions: no `=` or `"`, nothing secret. */
const CREDENTIAL_DESCRIPTIONS: Record<Exclude<CredentialProblem, 'missing'>, string> = {
  malformed: 'The access token is malformed.',
  unknown: 'The access token is unknown.',
  expired: 'The access token has expired.',
  revoked: 'The access token has been revoked.',
  wrong_audience: 'The access token is not valid for this resource.',
};

export interface ChallengeOptions {
  /** RFC 9728 metadata URL for the resource the route belongs to. */
  readonly resourceMetadata: string;
  /** The scope the route needs; sent on the credential-less 401 and on 403 insufficient_scope. */
  readonly scope?: string;
  /** Also name the scope on `invalid_token` 401s (the MCP endpoint, MCP 2025-11-25 scope selection). */
  readonly scopeOnEveryChallenge?: boolean;
}

/** The RFC 6750 §3 `WWW-Authenticate` value for a 401 or an insufficient-scope 403. */
export const bearerChallenge = (error: ApiError, options: ChallengeOptions): string | undefined => {
  const parts = ['Bearer realm="latchkey"'];
  if (error.status === 401) {
    if (error.credential === undefined || error.credential === 'missing') {
      parts.push(`resource_metadata="${options.resourceMetadata}"`);
      if (options.scope !== undefined) parts.push(`scope="${options.scope}"`);
    } else {
      parts.push('error="invalid_token"');
      parts.push(`error_description="${CREDENTIAL_DESCRIPTIONS[error.credential]}"`);
      parts.push(`resource_metadata="${options.resourceMetadata}"`);
      if (options.scopeOnEveryChallenge === true && options.scope !== undefined)
        parts.push(`scope="${options.scope}"`);
    }
    return parts.join(', ');
  }
  if (error.status === 403 && error.requiredScope !== undefined) {
    return `Bearer error="insufficient_scope", scope="${error.requiredScope}", resource_metadata="${options.resourceMetadata}"`;
  }
  return undefined;
};

/**
 * The one place that writes API errors (docs/http-api.md#conventions). A 500 names the request id and nothing
 * else; its cause goes to the log.
 */
export const writeApiError = (ctx: Ctx, error: ApiError, challenge?: ChallengeOptions): void => {
  if (error.status === 503) ctx.state.outage.refused(ctx.state.log, error.cause);
  else if (error.status >= 500) {
    ctx.state.log.error({ err: error.cause, kind: error.kind }, 'request failed');
  }
  ctx.status = error.status;
  if (error.retryAfterSeconds !== undefined)
    ctx.set('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  if (challenge !== undefined) {
    const value = bearerChallenge(error, challenge);
    if (value !== undefined) ctx.set('WWW-Authenticate', value);
  }
  ctx.body =
    error.kind === 'internal'
      ? { message: error.message, detail: `Request id ${ctx.state.requestId}.` }
      : {
          message: error.message,
          ...(error.publicDetail === undefined ? {} : { detail: error.publicDetail }),
          ...(error.validations === undefined ? {} : { validations: error.validations }),
        };
};

/**
 * The one place that writes OAuth errors (RFC 6749 §5.2), always with `Cache-Control: no-store`.
 * The error code, and a detected replay, are recorded for the metrics (docs/metrics.md).
 */
export const writeOAuthError = (
  ctx: Ctx,
  error: OAuthError,
  options: { basicChallenge?: boolean } = {},
): void => {
  ctx.state.oauthError = error.code;
  if (error.replay !== undefined) ctx.state.replay = error.replay;
  if (error.status === 503) ctx.state.outage.refused(ctx.state.log, error.cause);
  else if (error.status >= 500)
    ctx.state.log.error({ err: error.cause, detail: error.logDetail }, 'oauth request failed');
  else if (error.logDetail !== undefined)
    ctx.state.log.info({ code: error.code, detail: error.logDetail }, 'oauth error');
  ctx.status = error.status;
  ctx.set('Cache-Control', 'no-store');
  ctx.set('Pragma', 'no-cache');
  if (error.code === 'invalid_client' && options.basicChallenge === true) {
    ctx.set('WWW-Authenticate', 'Basic realm="latchkey"');
  }
  ctx.body = { error: error.code, error_description: error.description };
};

/** Why a request body was refused before any route saw it. */
export type BodyProblem =
  | { readonly kind: 'unsupported_media_type' }
  | { readonly kind: 'too_large' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'unreadable' }
  | { readonly kind: 'unsafe_text'; readonly fields: readonly string[] };

/**
 * zlib's and brotli's refusal of a body that is not what its `Content-Encoding` says: they carry
 * no HTTP status, only their own codes (`Z_DATA_ERROR`, `Z_BUF_ERROR`, `ERR__ERROR_FORMAT_…`).
 */
const isDecodingError = (code: unknown): boolean =>
  typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__ERROR'));

/** A body-parser failure (co-body) as a `BodyProblem`; `undefined` for anything else. */
export const parserProblem = (error: unknown): BodyProblem | undefined => {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, type, code } = error as { status?: unknown; type?: unknown; code?: unknown };
  if (isDecodingError(code)) return { kind: 'unreadable' };
  // co-body's JSON parse failure: a SyntaxError it gives status 400 but no `type`.
  if (error instanceof SyntaxError && status === 400) return { kind: 'malformed' };
  if (status === 413 || type === 'entity.too.large') return { kind: 'too_large' };
  if (status === 415) return { kind: 'unsupported_media_type' };
  if (type === 'entity.parse.failed' || (status === 400 && typeof type === 'string'))
    return { kind: 'malformed' };
  if (status === 400) return { kind: 'unreadable' };
  return undefined;
};

/** A refused JSON body as an API error (docs/http-api.md#conventions): 415, 413, or 400. */
export const bodyApiError = (problem: BodyProblem): ApiError => {
  switch (problem.kind) {
    case 'unsupported_media_type':
      return ApiErrors.unsupportedMediaType('application/json');
    case 'too_large':
      return ApiErrors.payloadTooLarge();
    case 'malformed':
      return ApiErrors.badRequest('The request body is not valid JSON.');
    case 'unreadable':
      return ApiErrors.badRequest('The request body could not be read.');
    case 'unsafe_text':
      return unsafeTextApiError(problem.fields);
  }
};

/** Body-parser failures (co-body) as API errors: 413, 415, or 400 for malformed JSON. */
export const parserError = (error: unknown): ApiError | undefined => {
  const problem = parserProblem(error);
  return problem === undefined ? undefined : bodyApiError(problem);
};

/**
 * The last fence of docs/http-api.md#conventions: no `Location` header over
 * `MAX_LOCATION_LENGTH`. The routes bound every redirect they make before making it; should one
 * slip through, the answer becomes a 400 rather than a header that clients and proxies refuse.
 */
export const refuseLongLocation = (ctx: Ctx): void => {
  const location = ctx.res.getHeader('Location');
  if (typeof location !== 'string' || location.length <= MAX_LOCATION_LENGTH) return;
  ctx.remove('Location');
  writeApiError(ctx, ApiErrors.badRequest('The redirect would be too long.'));
};

/**
 * Last line of defence: whatever escapes a route becomes an API error (a 500 names the request
 * id only). Routes normally write their own errors through `writeApiError`/`writeOAuthError`.
 */
export const writeEscapedError = (ctx: Ctx, error: unknown): void => {
  if (isOAuthError(error)) {
    writeOAuthError(ctx, error);
    return;
  }
  writeApiError(ctx, isApiError(error) ? error : (parserError(error) ?? ApiErrors.internal(error)));
};
