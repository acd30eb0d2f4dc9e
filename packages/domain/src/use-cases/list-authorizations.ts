import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { OAuthClient } from '../model/client.js';
import type { AuthorizationSummary } from '../model/grant.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** At most this many clients in one answer; a user authorizes few. */
const AUTHORIZATIONS_LIMIT = 500;

/** One client the user has authorized, as the console's Authorized applications page shows it. */
export interface Authorization {
  readonly client: OAuthClient;
  readonly scopes: readonly string[];
  readonly firstAuthorizedAt: Date;
  /** When a token was last issued to the client for this user, while one is still stored. */
  readonly lastUsedAt?: Date;
}

/**
 * The clients the caller has live grants for, ordered by name then id, each with the scopes
 * granted, when it was first authorized and when it last got a token (docs/http-api.md#web-console).
 */
export const makeListAuthorizations = (deps: Pick<Ports, 'clients' | 'grants' | 'clock'>) => {
  const join = (clients: readonly OAuthClient[], summaries: readonly AuthorizationSummary[]) => {
    const byClient = new Map(summaries.map((s) => [s.clientId, s]));
    return clients.flatMap((client): Authorization[] => {
      const summary = byClient.get(client.id);
      if (summary === undefined) return [];
      return [
        {
          client,
          scopes: summary.scopes,
          firstAuthorizedAt: summary.firstAuthorizedAt,
          ...(summary.lastUsedAt === undefined ? {} : { lastUsedAt: summary.lastUsedAt }),
        },
      ];
    });
  };

  const load = async (principal: Principal): Outcome<ApiError, Authorization[]> => {
    const now = deps.clock.now();
    const userId = principal.user.id;
    const clients = await tryPort(() =>
      deps.clients.listGrantedTo(userId, now, { limit: AUTHORIZATIONS_LIMIT, offset: 0 }),
    );
    if (E.isLeft(clients)) return clients;
    const summaries = await tryPort(() => deps.grants.summariesFor(userId, now));
    if (E.isLeft(summaries)) return summaries;
    return E.right(join(clients.right, summaries.right));
  };

  const list = (principal: Principal): Outcome<ApiError, Authorization[]> =>
    whenAllowed(requireScope(SCOPE_ALL)(principal), () => load(principal));

  return asTask(list);
};
