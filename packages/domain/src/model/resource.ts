/**
 * RFC 8707 resource indicators and audiences (CONTRACT §8). Comparison normalises scheme and host
 * case, default ports and a trailing slash.
 */
export const MCP_PATH = '/api/experimental/mcp/http';

/** The normal form of an absolute http(s) URI, or `undefined` when it is not one (or has a fragment). */
export const normaliseResource = (raw: string): string | undefined => {
  if (raw.includes('#')) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.hostname === '') return undefined;
  // URL already lower-cases scheme and host and drops default ports.
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}${url.search}`;
};

/** Resources a grant may be bound to: the issuer, the MCP endpoint and the configured extras. */
export const allowedResources = (issuer: string, extra: readonly string[]): string[] =>
  [issuer, `${issuer}${MCP_PATH}`, ...extra].flatMap((r) => {
    const normal = normaliseResource(r);
    return normal === undefined ? [] : [normal];
  });

/**
 * Whether a token bound to `audience` may be used at `routeUrl`: the route lies under the
 * resource (same origin, and a path prefix at a segment boundary). The issuer covers every route.
 */
export const audienceCovers = (audience: string, routeUrl: string): boolean => {
  const resource = normaliseResource(audience);
  const route = normaliseResource(routeUrl);
  if (resource === undefined || route === undefined) return false;
  return route === resource || route.startsWith(`${resource}/`) || route.startsWith(`${resource}?`);
};
