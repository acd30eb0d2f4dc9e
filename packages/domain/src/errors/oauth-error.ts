/**
 * The one OAuth error type. `description` is public and generic (sent as `error_description`);
 * `logDetail` and `cause` are for the log only.
 *
 * @see RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  /** OpenID Connect Core §3.1.2.6: `prompt=none` and the user is not signed in. */
  | 'login_required'
  /** OpenID Connect Core §3.1.2.6: `prompt=none` and the request needs the consent page. */
  | 'consent_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'invalid_token'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * A credential presented again after its one use: an authorization code already redeemed
 * (RFC 6749 §4.1.2), or a rotated refresh token outside its grace window (RFC 9700 §4.14.2).
 * Either revokes the grant it belongs to (docs/http-api.md#token).
 */
export type CredentialReplay = 'authorization_code' | 'refresh_token';

export interface OAuthError {
  readonly _tag: 'OAuthError';
  readonly code: OAuthErrorCode;
  readonly description: string;
  readonly status: number;
  /** Why, for the log only: which check failed. Never sent to the client. */
  readonly logDetail?: string;
  /** Set when the refusal is a detected replay: for the log and the metrics, never sent. */
  readonly replay?: CredentialReplay;
  readonly cause?: unknown;
}

/** RFC 6749 §5.2 statuses, as docs/http-api.md#conventions lists them. */
export const oauthStatus = (code: OAuthErrorCode): number => {
  switch (code) {
    case 'invalid_client':
    case 'invalid_token':
      return 401;
    case 'temporarily_unavailable':
      return 429;
    case 'server_error':
      return 500;
    case 'invalid_request':
    case 'invalid_grant':
    case 'unauthorized_client':
    case 'unsupported_grant_type':
    case 'unsupported_response_type':
    case 'invalid_scope':
    case 'invalid_target':
    case 'access_denied':
    case 'login_required':
    case 'consent_required':
    case 'request_not_supported':
    case 'request_uri_not_supported':
    case 'invalid_client_metadata':
    case 'invalid_redirect_uri':
      return 400;
  }
};

export const oauthError = (
  code: OAuthErrorCode,
  description: string,
  extra: { logDetail?: string; cause?: unknown; status?: number; replay?: CredentialReplay } = {},
): OAuthError => ({
  _tag: 'OAuthError',
  code,
  description,
  status: extra.status ?? oauthStatus(code),
  ...(extra.logDetail === undefined ? {} : { logDetail: extra.logDetail }),
  ...(extra.replay === undefined ? {} : { replay: extra.replay }),
  ...(extra.cause === undefined ? {} : { cause: extra.cause }),
});

export const isOAuthError = (u: unknown): u is OAuthError =>
  typeof u === 'object' && u !== null && (u as { _tag?: unknown })._tag === 'OAuthError';
