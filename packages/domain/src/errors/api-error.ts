/**
 * The error type of the admin API (`/api/*`, `/healthz`, `/readyz`, `DELETE /oauth2/tokens`).
 *
 * `message`, `publicDetail` and `validations` are sent to the client (`publicDetail` as the body's
 * `detail`) and must stay generic; `cause` goes only to the log.
 *
 * @see docs/http-api.md#conventions
 */
export interface Validation {
  readonly field: string;
  readonly detail: string;
}

export type ApiErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'internal'
  | 'unavailable';

/** Why a credential was refused; drives the RFC 6750 `WWW-Authenticate` challenge. */
export type CredentialProblem =
  'missing' | 'malformed' | 'unknown' | 'expired' | 'revoked' | 'wrong_audience';

export interface ApiError {
  readonly _tag: 'ApiError';
  readonly kind: ApiErrorKind;
  readonly status: number;
  readonly message: string;
  /** Sent to the client as `detail`: a generic hint at what to do, never a secret or a cause. */
  readonly publicDetail?: string;
  readonly validations?: readonly Validation[];
  /** Set on 401s: what was wrong with the credential. */
  readonly credential?: CredentialProblem;
  /** Set on scope failures (403): the scope the route needs. */
  readonly requiredScope?: string;
  /** Set on 429: seconds until the client may retry. */
  readonly retryAfterSeconds?: number;
  /** Never sent to a client. */
  readonly cause?: unknown;
}

const make = (
  kind: ApiErrorKind,
  status: number,
  message: string,
  extra: Partial<Omit<ApiError, '_tag' | 'kind' | 'status' | 'message'>> = {},
): ApiError => ({ _tag: 'ApiError', kind, status, message, ...extra });

export const ApiErrors = {
  badRequest: (message: string, validations?: readonly Validation[]): ApiError =>
    make('bad_request', 400, message, validations === undefined ? {} : { validations }),
  unauthorized: (credential: CredentialProblem, message = 'You must be signed in.'): ApiError =>
    make('unauthorized', 401, message, { credential }),
  forbidden: (message = 'You are not allowed to do this.'): ApiError => make('forbidden', 403, message),
  insufficientScope: (requiredScope: string): ApiError =>
    make('forbidden', 403, 'The credential lacks the scope this route needs.', { requiredScope }),
  notFound: (message = 'Not found.'): ApiError => make('not_found', 404, message),
  conflict: (message: string, publicDetail?: string): ApiError =>
    make('conflict', 409, message, publicDetail === undefined ? {} : { publicDetail }),
  payloadTooLarge: (): ApiError => make('payload_too_large', 413, 'The request body is too large.'),
  unsupportedMediaType: (expected: string): ApiError =>
    make('unsupported_media_type', 415, `The request body must be ${expected}.`),
  rateLimited: (retryAfterSeconds: number): ApiError =>
    make('rate_limited', 429, 'Too many requests; try again later.', { retryAfterSeconds }),
  internal: (cause: unknown): ApiError => make('internal', 500, 'An internal error occurred.', { cause }),
  unavailable: (cause: unknown): ApiError =>
    make('unavailable', 503, 'The service is temporarily unavailable.', { cause }),
} as const;

export const isApiError = (u: unknown): u is ApiError =>
  typeof u === 'object' && u !== null && (u as { _tag?: unknown })._tag === 'ApiError';
