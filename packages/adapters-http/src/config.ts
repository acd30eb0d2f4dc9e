import type { Clock, RateLimitCounters } from '@latchkey/domain';
import type { Middleware } from 'koa';
import type { Logger } from 'pino';
import type { RequestObserver } from './observer.js';
import type { RequestState } from './state.js';

/** What the HTTP adapter needs to know about its deployment; decoded by the app. */
export interface HttpConfig {
  /** `LATCHKEY_PUBLIC_URL` without a trailing slash (docs/http-api.md: *issuer*). */
  readonly issuer: string;
  /** Number of trusted reverse-proxy hops in front of the server (`LATCHKEY_TRUST_PROXY`). */
  readonly trustProxy: number;
  /** Password checks per minute per client IP; 0 turns the limit off. */
  readonly loginRateLimitPerMinute: number;
  /** Token requests per minute per client IP (a client gets ten times that); 0 turns it off. */
  readonly tokenRateLimitPerMinute: number;
  /** Registrations per minute per client IP (IPv6: per /64); 0 turns it off. */
  readonly registerRateLimitPerMinute: number;
  /**
   * Counters every instance of the deployment shares (PostgreSQL on a server): the login and
   * registration limits then hold for the whole deployment (docs/security.md#rate-limits). Absent,
   * every limit is counted in this process. The token limit is always counted in this process.
   */
  readonly rateLimitCounters?: RateLimitCounters;
  /** Client ID Metadata Documents (docs/http-api.md#client-id-metadata-documents). */
  readonly metadataDocuments: {
    /** `LATCHKEY_CIMD_ENABLED`. */
    readonly enabled: boolean;
    /** `LATCHKEY_CIMD_TRUSTED_DOMAINS`: their clients' consent pages carry no unverified warning. */
    readonly trustedDomains: readonly string[];
  };
  /** Whether dynamic client registration is on (`LATCHKEY_DCR_ENABLED`). */
  readonly registrationEnabled: boolean;
  readonly sessionTtlSeconds: number;
  /** Whether `/setup` and `/api/v2/users/first` ask for a setup token. */
  readonly setupTokenRequired: boolean;
  readonly bodyLimitBytes: number;
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES` (docs/http-api.md#bearer-tokens). */
  readonly supportedScopes: readonly string[];
  readonly logger: Logger;
  /** The domain's clock: rate-limit windows are read off it, so tests move time instead of waiting. */
  readonly clock: Clock;
  /** Receives every answered request: the metrics (docs/metrics.md), when they are on. */
  readonly observeRequest?: RequestObserver;
  /**
   * Middleware run before all of Latchkey's own, outermost first; none in production. The test
   * suites install their OpenAPI validation here (docs/http-api.md#conventions).
   */
  readonly outerMiddleware?: readonly Middleware<RequestState>[];
  /** OpenID Connect (docs/openid-connect.md); without it there is no JWKS, discovery or UserInfo. */
  readonly oidc?: OidcHttpConfig;
}

/** What the OpenID Connect routes serve (docs/openid-connect.md). */
export interface OidcHttpConfig {
  /** The published public keys (RFC 7517 §5). */
  readonly jwks: () => Promise<{ readonly keys: readonly object[] }>;
  /** `Cache-Control: max-age` of the JWK Set: below the pre-publish period. */
  readonly jwksMaxAgeSeconds: number;
  /** The one algorithm ID tokens and JWT access tokens are signed with. */
  readonly signingAlg: string;
}

export const SESSION_COOKIE = 'latchkey_session';
export const CSRF_COOKIE = 'latchkey_csrf';

/** The root protected resource metadata URL (RFC 9728 §3). */
export const resourceMetadataUrl = (issuer: string, resourcePath = ''): string =>
  `${issuer}/.well-known/oauth-protected-resource${resourcePath}`;

export const isSecureIssuer = (issuer: string): boolean => issuer.startsWith('https:');
