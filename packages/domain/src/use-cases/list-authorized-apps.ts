import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { OAuthClient } from '../model/client.js';
import { SCOPE_MCP } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** At most this many apps in one answer; a user authorizes few. */
const AUTHORIZED_APPS_LIMIT = 500;

/**
 * The apps the caller has live grants for, ordered by name then id. For the MCP tools: scope
 * `mcp` (or `all`) suffices, since it only ever shows the caller's own grants (docs/http-api.md#mcp).
 */
export const makeListAuthorizedApps = (deps: Pick<Ports, 'clients' | 'clock'>) => {
  const page = { limit: AUTHORIZED_APPS_LIMIT, offset: 0 };
  const list = (principal: Principal): Outcome<ApiError, OAuthClient[]> =>
    whenAllowed(requireScope(SCOPE_MCP)(principal), () =>
      tryPort(() => deps.clients.listGrantedTo(principal.user.id, deps.clock.now(), page)),
    );
  return asTask(list);
};
