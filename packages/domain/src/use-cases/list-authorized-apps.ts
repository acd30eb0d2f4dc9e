import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { OAuthClient } from '../model/client.js';
import { SCOPE_MCP } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import { requireScope } from './policy.js';
import { decide, fromPort } from './support.js';

/** At most this many apps in one answer; a user authorizes few. */
const AUTHORIZED_APPS_LIMIT = 500;

/**
 * The apps the caller has live grants for, ordered by name then id. For the MCP tools: scope
 * `mcp` (or `all`) suffices, since it only ever shows the caller's own grants (docs/http-api.md#mcp).
 */
export const makeListAuthorizedApps =
  (deps: Pick<Ports, 'clients' | 'clock'>) =>
  (principal: Principal): TE.TaskEither<ApiError, OAuthClient[]> =>
    pipe(
      decide(requireScope(SCOPE_MCP)(principal)),
      TE.flatMap((p) =>
        fromPort(() =>
          deps.clients.listGrantedTo(p.user.id, deps.clock.now(), {
            limit: AUTHORIZED_APPS_LIMIT,
            offset: 0,
          }),
        ),
      ),
    );
