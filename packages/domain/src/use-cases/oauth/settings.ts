import type { SigningAlgorithm } from '../../model/signing-key.js';

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
  /** OpenID Connect and JWT access tokens (docs/openid-connect.md); defaults in `OIDC_DEFAULTS`. */
  readonly oidc?: Partial<OidcSettings>;
}

/** docs/openid-connect.md#configuration. */
export interface OidcSettings {
  /** `LATCHKEY_ID_TOKEN_TTL`. */
  readonly idTokenTtlSeconds: number;
  /** `LATCHKEY_ID_TOKEN_SIGNING_ALG`: signs ID tokens and JWT access tokens. */
  readonly signingAlg: SigningAlgorithm;
  /** `LATCHKEY_JWT_ACCESS_TOKEN_TTL`. */
  readonly jwtAccessTokenTtlSeconds: number;
  /** Normalised resources whose access tokens are JWTs (`LATCHKEY_JWT_RESOURCES`). */
  readonly jwtResources: readonly string[];
}

export const OIDC_DEFAULTS: OidcSettings = {
  idTokenTtlSeconds: 3600,
  signingAlg: 'ES256',
  jwtAccessTokenTtlSeconds: 300,
  jwtResources: [],
};

export const oidcSettings = (settings: OAuthSettings): OidcSettings => ({
  ...OIDC_DEFAULTS,
  ...settings.oidc,
});

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
