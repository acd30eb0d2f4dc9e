import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { OAuthClient } from '../model/client.js';
import type { Ports } from '../ports/index.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

/** Clients in one answer at most. */
const REGISTERED_CLIENTS_LIMIT = 500;

/** A dynamically registered client and when it last got a token. */
export interface RegisteredClient {
  readonly client: OAuthClient;
  readonly lastUsedAt?: Date;
}

/**
 * Owners list the dynamically registered clients, by name then id, each with the time it was
 * last issued an access token while that token is stored (docs/http-api.md#web-console).
 */
export const makeListRegisteredClients = (deps: Pick<Ports, 'clients'>) => {
  const load = async (): Outcome<ApiError, RegisteredClient[]> => {
    const clients = await tryPort(() =>
      deps.clients.list({ limit: REGISTERED_CLIENTS_LIMIT, offset: 0, dynamicallyRegistered: true }),
    );
    if (E.isLeft(clients)) return clients;
    const issued = await tryPort(() => deps.clients.lastIssued(clients.right.map((c) => c.id)));
    if (E.isLeft(issued)) return issued;
    const last = new Map(issued.right.map((i) => [i.clientId, i.at]));
    return E.right(
      clients.right.map((client) => {
        const at = last.get(client.id);
        return at === undefined ? { client } : { client, lastUsedAt: at };
      }),
    );
  };

  const list = (principal: Principal): Outcome<ApiError, RegisteredClient[]> =>
    whenAllowed(requireOwner(principal), load);

  return asTask(list);
};
