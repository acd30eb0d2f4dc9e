/**
 * Scopes (docs/http-api.md#bearer-tokens). `all` satisfies any requirement; a session token carries `all`.
 */
export const SCOPE_ALL = 'all';
export const SCOPE_USER_READ = 'user:read';
export const SCOPE_MCP = 'mcp';
/** OpenID Connect Core §5.4 (docs/openid-connect.md#scopes): `openid` asks for an ID token. */
export const SCOPE_OPENID = 'openid';
export const SCOPE_PROFILE = 'profile';
export const SCOPE_EMAIL = 'email';
/**
 * The OpenID Connect scopes. They reveal only the signed-in user's own identity, with consent, so
 * every client may be granted them, self-registered and metadata-document clients included.
 */
export const OIDC_SCOPES: readonly string[] = [SCOPE_OPENID, SCOPE_PROFILE, SCOPE_EMAIL];
export const BUILT_IN_SCOPES: readonly string[] = [SCOPE_ALL, SCOPE_USER_READ, SCOPE_MCP, ...OIDC_SCOPES];

/**
 * Scopes that act for a signed-in user, so a token issued to a client alone (the client
 * credentials grant, RFC 6749 §4.4) can never carry them (docs/http-api.md#client-credentials-grant):
 * the built-in ones, whose every route acts as the token's user, and OpenID Connect's, which ask
 * for claims about that user (OpenID Connect Core §5.4).
 */
export const USER_ACTING_SCOPES: readonly string[] = [...BUILT_IN_SCOPES, 'openid', 'profile', 'email'];

/**
 * The scopes a machine client may be allowed (docs/http-api.md#client-credentials-grant): the
 * supported ones that act for no user, which are the values of `LATCHKEY_EXTRA_SCOPES` meant for
 * other resource servers.
 */
export const machineScopes = (supported: readonly string[]): string[] =>
  supported.filter((s) => !USER_ACTING_SCOPES.includes(s));

/** Splits a space-separated scope string (RFC 6749 §3.3) into distinct values, in order. */
export const parseScope = (scope: string | undefined): string[] =>
  scope === undefined ? [] : [...new Set(scope.split(' ').filter((s) => s !== ''))];

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

export const scopeSatisfies = (granted: readonly string[], needed: string): boolean =>
  granted.includes(SCOPE_ALL) || granted.includes(needed);
