import { allowedResources, type DomainSettings } from '@latchkey/domain';

const ISSUER = 'http://localhost:8080';

/** Domain settings with the documented defaults, for use-case tests without the app. */
export const testDomainSettings = (overrides: Partial<DomainSettings> = {}): DomainSettings => ({
  sessionTtlSeconds: 86_400,
  issuer: ISSUER,
  codeTtlSeconds: 60,
  accessTokenTtlSeconds: 3600,
  refreshTokenTtlSeconds: 30 * 86_400,
  refreshReuseGraceSeconds: 30,
  grantMaxTtlSeconds: 90 * 86_400,
  defaultScope: ['mcp', 'user:read'],
  supportedScopes: ['all', 'user:read', 'mcp'],
  dcrScopes: ['mcp', 'user:read'],
  allowedResources: allowedResources(ISSUER, []),
  dcrIdleTtlSeconds: 30 * 86_400,
  ...overrides,
});
