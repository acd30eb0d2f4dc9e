export { createHttpApp } from './create-http-app.js';
export { resourceMetadataUrl, SESSION_COOKIE, type HttpConfig } from './config.js';
export { safeRedirect } from './redirect.js';
export { clientIp } from './middleware/request-context.js';
export type { RequestState } from './state.js';
export type { RateLimiter, RequestObserver, RequestOutcome } from './observer.js';
export { createMcpServer, MCP_SERVER_INFO, type McpRecheck } from './mcp/server.js';
export { makeTools, type Tool } from './mcp/tools.js';
export { FixedWindowBudget, retryAfterSeconds, SharedBudget } from './middleware/rate-limit.js';
export { decodeTokenGrant } from './wire/token-grant.js';
export { decodeRegistration, decodeRegistrationUpdate } from './wire/client-metadata.js';
export {
  ClientMetadataFetcher,
  DEFAULT_FETCH_TIMEOUT_MS,
  DEFAULT_MAX_DOCUMENT_BYTES,
  isPublicAddress,
  systemResolver,
  type MetadataFetcherOptions,
  type ResolvedAddress,
  type Resolver,
} from './outbound/client-metadata-fetcher.js';
export { openApiDocument, type OpenApiSettings } from './openapi/document.js';
export { wireApp, wireSecret, wireUser, type WireUser } from './wire.js';
