/**
 * RFC 8707 resource indicators and audiences (docs/http-api.md#bearer-tokens). Comparison normalises scheme and host
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
export const audienceCovers = (
  audience: string,
  routeUrl: string,
  normalise: (raw: string) => string | undefined = normaliseResource,
): boolean => {
  const resource = normalise(audience);
  const route = normalise(routeUrl);
  if (resource === undefined || route === undefined) return false;
  return route === resource || route.startsWith(`${resource}/`) || route.startsWith(`${resource}?`);
};

const NORMAL_FORMS_LIMIT = 1024;

/**
 * `audienceCovers` with `normaliseResource` remembered, for the audience check that runs on every
 * authenticated request with a handful of distinct audiences and route URLs (parsing a URL each
 * time is most of its cost). The memory belongs to the returned function, created by its use
 * case, and is bounded, so that many distinct route URLs cannot grow it without limit.
 */
export const makeAudienceCheck = (): ((audience: string, routeUrl: string) => boolean) => {
  const normalForms = new Map<string, string | undefined>();
  const normalisedOnce = (raw: string): string | undefined => {
    if (normalForms.has(raw)) return normalForms.get(raw);
    const normal = normaliseResource(raw);
    if (normalForms.size >= NORMAL_FORMS_LIMIT) normalForms.clear();
    normalForms.set(raw, normal);
    return normal;
  };
  return (audience, routeUrl) => audienceCovers(audience, routeUrl, normalisedOnce);
};
