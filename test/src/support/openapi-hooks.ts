import { OpenApiViolations, takeRunningViolations } from './openapi.js';

/**
 * Mocha root hooks (`require`d by the mocha configuration): after each test, every violation of
 * the OpenAPI document seen by a running test server fails that test. A server stopped within
 * the test reports its own from `stop()` (see `startTestServer`).
 */
export const mochaHooks = {
  afterEach(): void {
    const violations = takeRunningViolations();
    if (violations.length > 0) throw new OpenApiViolations(violations);
  },
};
