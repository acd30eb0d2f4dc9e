import type { Logger } from 'pino';

/** What the HTTP adapter needs to know about its deployment; decoded by the app. */
export interface HttpConfig {
  /** `LATCHKEY_PUBLIC_URL` without a trailing slash (CONTRACT: *issuer*). */
  readonly issuer: string;
  /** Number of trusted reverse-proxy hops in front of the server (`LATCHKEY_TRUST_PROXY`). */
  readonly trustProxy: number;
  /** Password checks per minute per client IP; 0 turns the limit off. */
  readonly loginRateLimitPerMinute: number;
  readonly sessionTtlSeconds: number;
  /** Whether `/setup` and `/api/v2/users/first` ask for a setup token. */
  readonly setupTokenRequired: boolean;
  readonly bodyLimitBytes: number;
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES` (CONTRACT §8). */
  readonly supportedScopes: readonly string[];
  readonly logger: Logger;
}

export const SESSION_COOKIE = 'latchkey_session';
export const CSRF_COOKIE = 'latchkey_csrf';

/** The root protected resource metadata URL (RFC 9728 §3). */
export const resourceMetadataUrl = (issuer: string, resourcePath = ''): string =>
  `${issuer}/.well-known/oauth-protected-resource${resourcePath}`;

export const isSecureIssuer = (issuer: string): boolean => issuer.startsWith('https:');
