import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../errors/api-error.js';
import type { ApiKey, Principal } from '../model/api-key.js';
import { SCOPE_ALL } from '../model/scope.js';
import type { Ports } from '../ports/index.js';
import { requireScope } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** One of the caller's sessions, and whether it is the one asking. */
export interface SessionView {
  readonly session: ApiKey;
  readonly current: boolean;
}

/** The caller's unexpired sessions, newest first (docs/http-api.md#web-console). */
export const makeListSessions = (deps: Pick<Ports, 'apiKeys' | 'clock'>) => {
  const load = async (principal: Principal): Outcome<ApiError, SessionView[]> => {
    const sessions = await tryPort(() => deps.apiKeys.listSessions(principal.user.id, deps.clock.now()));
    return E.map((keys: ApiKey[]) =>
      keys.map((session) => ({ session, current: session.id === principal.apiKeyId })),
    )(sessions);
  };
  const list = (principal: Principal): Outcome<ApiError, SessionView[]> =>
    whenAllowed(requireScope(SCOPE_ALL)(principal), () => load(principal));
  return asTask(list);
};
