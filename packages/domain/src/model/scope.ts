/**
 * Scopes (docs/http-api.md#bearer-tokens). `all` satisfies any requirement; a session token carries `all`.
 */
export const SCOPE_ALL = 'all';
export const SCOPE_USER_READ = 'user:read';
export const SCOPE_MCP = 'mcp';
export const BUILT_IN_SCOPES: readonly string[] = [SCOPE_ALL, SCOPE_USER_READ, SCOPE_MCP];

/** Splits a space-separated scope string (RFC 6749 §3.3) into distinct values, in order. */
export const parseScope = (scope: string | undefined): string[] =>
  scope === undefined ? [] : [...new Set(scope.split(' ').filter((s) => s !== ''))];

export const formatScope = (scopes: readonly string[]): string => scopes.join(' ');

export const scopeSatisfies = (granted: readonly string[], needed: string): boolean =>
  granted.includes(SCOPE_ALL) || granted.includes(needed);
