import type { CredentialReplay, OAuthErrorCode, TokenGrant } from '@latchkey/domain';

/** The limits of docs/http-api.md#configuration, by what they limit. */
export type RateLimiter = 'login' | 'token' | 'registration';

/**
 * What a request came to beyond its status, as the routes record it on the request's state
 * (docs/metrics.md). Each is a fixed value from a short list, so that the metrics built from
 * them stay bounded: no client, user or token ever appears here.
 */
export interface RequestOutcome {
  /** The OAuth error the request was refused with (RFC 6749 §5.2, §4.1.2.1; RFC 7591 §3.2.2). */
  oauthError?: OAuthErrorCode;
  /** A used authorization code or rotated refresh token presented again (docs/http-api.md#token). */
  replay?: CredentialReplay;
  /** Tokens were issued, by this grant (docs/http-api.md#token). */
  issuedGrant?: TokenGrant['grantType'];
  /** A rate limit refused the request. */
  rateLimitedBy?: RateLimiter;
  /** A client registered itself (RFC 7591, docs/http-api.md#registration). */
  registeredClient?: boolean;
}

/**
 * Receives every answered request once, after its answer is written: the route template that
 * matched (`undefined` when none did), the method, the status, the time taken, and its outcome.
 * Metrics implement it; without one nothing is measured beyond what the log needs.
 */
export type RequestObserver = (
  route: string | undefined,
  method: string,
  status: number,
  seconds: number,
  outcome: Readonly<RequestOutcome>,
) => void;
