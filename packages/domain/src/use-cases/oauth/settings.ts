/** How long the credentials of the authorization code flow live (docs/http-api.md#token). */
export interface CredentialLifetimes {
  readonly codeTtlSeconds: number;
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseGraceSeconds: number;
  readonly grantMaxTtlSeconds: number;
}

/** Settings of the authorization server, decoded from the environment by the app (docs/http-api.md#configuration). */
export interface OAuthSettings extends CredentialLifetimes {
  /** `LATCHKEY_PUBLIC_URL`, no trailing slash. */
  readonly issuer: string;
  /** Granted when a request names no usable scope and the client registered none. */
  readonly defaultScope: readonly string[];
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES`. */
  readonly supportedScopes: readonly string[];
  /** What a dynamically registered client may get (`LATCHKEY_DCR_SCOPES`, never `all`). */
  readonly dcrScopes: readonly string[];
  /** Normalised resources a grant may be bound to: issuer, MCP endpoint, `LATCHKEY_ALLOWED_RESOURCES`. */
  readonly allowedResources: readonly string[];
}

/** How long a consent form stays answerable (docs/http-api.md#authorize step 5). */
export const PENDING_AUTHORIZATION_TTL_SECONDS = 600;

/**
 * Consent requests a session may hold at once; opening another drops the oldest. Each one is a
 * consent page a user could still answer, so a few dozen cover any real use (several tabs).
 */
export const MAX_PENDING_AUTHORIZATIONS_PER_SESSION = 32;

/**
 * The longest `state` accepted at authorize. It is sent back in the redirect to the client, whose
 * `Location` must stay under 8 KiB with a redirect URI of up to 4 KiB (RFC 9110 §5.4: servers
 * and proxies commonly refuse larger header sections). Real clients send a random value of a few
 * dozen characters; some encode a small JSON object.
 */
export const MAX_STATE_LENGTH = 1024;

/** No redirect Latchkey answers with has a longer `Location` (docs/http-api.md#paths). */
export const MAX_LOCATION_LENGTH = 8192;

export const addSeconds = (date: Date, seconds: number): Date => new Date(date.getTime() + seconds * 1000);

export const earliest = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b);
