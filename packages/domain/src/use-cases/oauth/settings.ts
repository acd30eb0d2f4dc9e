/** Settings of the authorization server, decoded from the environment by the app (CONTRACT §13). */
export interface OAuthSettings {
  /** `LATCHKEY_PUBLIC_URL`, no trailing slash. */
  readonly issuer: string;
  readonly codeTtlSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly grantMaxTtlSeconds: number;
  /** Granted when a request names no usable scope and the client registered none. */
  readonly defaultScope: readonly string[];
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES`. */
  readonly supportedScopes: readonly string[];
  /** What a dynamically registered client may get (`LATCHKEY_DCR_SCOPES`, never `all`). */
  readonly dcrScopes: readonly string[];
  /** Normalised resources a grant may be bound to: issuer, MCP endpoint, `LATCHKEY_ALLOWED_RESOURCES`. */
  readonly allowedResources: readonly string[];
}

/** How long a consent form stays answerable (CONTRACT §5 step 5). */
export const PENDING_AUTHORIZATION_TTL_SECONDS = 600;

export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);

export const earliest = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b);
