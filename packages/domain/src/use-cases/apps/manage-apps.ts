import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError } from '../../errors/api-error.js';
import { actorUserId, isSystemActor, type Actor } from '../../model/api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import type { AppInput, ClientId, OAuthClient } from '../../model/client.js';
import type { UserId } from '../../model/ids.js';
import { SCOPE_ALL } from '../../model/scope.js';
import type { ClientQuery } from '../../ports/client-repository.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import type { Page } from '../../ports/user-repository.js';
import { appendAudit } from '../audit-entry.js';
import { requireOwner, requireScope } from '../policy.js';
import { asTask, tryPort, tryTransaction, whenAllowed, type Outcome } from '../support.js';
import {
  appDiff,
  appFromInput,
  appNotFound,
  checkAppInput,
  requireOwnerManaged,
  type AppSettings,
} from './app-rules.js';

type AppDeps = Pick<Ports, 'clients' | 'transactor' | 'clock' | 'random'>;

/** Loads a client or fails with 404. */
export const loadClient = async (
  repositories: Pick<Repositories, 'clients'>,
  id: ClientId,
): Outcome<ApiError, OAuthClient> => {
  const found = await tryPort(() => repositories.clients.findById(id));
  if (E.isLeft(found)) return found;
  return found.right === undefined ? E.left(appNotFound()) : E.right(found.right);
};

/** Loads an app an owner manages through the admin API: 404 when absent, 409 when registered by DCR. */
export const loadOwnerManaged = async (
  repositories: Pick<Repositories, 'clients'>,
  id: ClientId,
): Outcome<ApiError, OAuthClient> => {
  const client = await loadClient(repositories, id);
  return E.isLeft(client) ? client : requireOwnerManaged(client.right);
};

/**
 * An owner creates an app; audited in the same transaction.
 *
 * @see docs/http-api.md#apps, #audit-log
 */
export const makeCreateApp = (deps: AppDeps, settings: AppSettings) => {
  const create = async (actor: Actor, input: AppInput, meta: RequestMeta) => {
    const clientType = E.flatMap(requireOwner(actor), () => checkAppInput(input, settings, undefined));
    if (E.isLeft(clientType)) return clientType;
    const id = deps.random.uuid() as ClientId;
    const client = appFromInput(id, input, clientType.right, actor, deps.clock, undefined);

    /** The new app stored and its creation audited, in one transaction. */
    const insertAudited = async (tx: Repositories): Outcome<ApiError, OAuthClient> => {
      const inserted = await tryPort(() => tx.clients.insert(client));
      if (E.isLeft(inserted)) return inserted;
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'create', resourceType: 'oauth2_provider_app', resourceId: id },
        { actorId: actorUserId(actor), status: 201, diff: appDiff(undefined, client) },
      );
      return E.isLeft(logged) ? logged : E.right(client);
    };

    return tryTransaction(deps.transactor, insertAudited);
  };

  return asTask(create);
};

/**
 * An owner replaces an app's name, callback, icon, redirect URIs, scope and `introspect_any`;
 * the client type cannot change (docs/http-api.md#apps).
 */
export const makeUpdateApp = (deps: AppDeps, settings: AppSettings) => {
  const update = (actor: Actor, id: ClientId, input: AppInput, meta: RequestMeta) => {
    /** The stored app replaced and the change audited, in one transaction. */
    const replace = async (tx: Repositories): Outcome<ApiError, OAuthClient> => {
      const existing = await loadOwnerManaged(tx, id);
      if (E.isLeft(existing)) return existing;
      const clientType = checkAppInput(input, settings, existing.right);
      if (E.isLeft(clientType)) return clientType;
      const updated = appFromInput(id, input, clientType.right, actor, deps.clock, existing.right);
      const found = await tryPort(() => tx.clients.update(updated));
      if (E.isLeft(found)) return found;
      // Deleted by a concurrent request since it was read.
      if (!found.right) return E.left(appNotFound());
      const audit = appendAudit(tx, deps, meta);
      const logged = await audit(
        { action: 'write', resourceType: 'oauth2_provider_app', resourceId: id },
        { actorId: actorUserId(actor), status: 200, diff: appDiff(existing.right, updated) },
      );
      return E.isLeft(logged) ? logged : E.right(updated);
    };

    return whenAllowed(requireOwner(actor), () => tryTransaction(deps.transactor, replace));
  };

  return asTask(update);
};

/**
 * An owner deletes an app, and with it its secrets, grants, codes and tokens, in one
 * transaction (docs/http-api.md#apps). Dynamically registered clients may be deleted here too.
 */
export const makeDeleteApp = (deps: AppDeps) => {
  const deleteApp = (actor: Actor, id: ClientId, meta: RequestMeta) => {
    /** The app deleted and the deletion audited, in one transaction. */
    const remove = async (tx: Repositories): Outcome<ApiError, void> => {
      const existing = await loadClient(tx, id);
      if (E.isLeft(existing)) return existing;
      const deleted = await tryPort(() => tx.clients.delete(id));
      if (E.isLeft(deleted)) return deleted;
      // Of concurrent deletes, only the one that removed the row succeeds (and is audited).
      if (!deleted.right) return E.left(appNotFound());
      const audit = appendAudit(tx, deps, meta);
      return audit(
        { action: 'delete', resourceType: 'oauth2_provider_app', resourceId: id },
        { actorId: actorUserId(actor), status: 204, diff: appDiff(existing.right, undefined) },
      );
    };

    return whenAllowed(requireOwner(actor), () => tryTransaction(deps.transactor, remove));
  };

  return asTask(deleteApp);
};

/** Any signed-in user (scope `all`) may read an app (docs/http-api.md#apps). */
export const makeGetApp = (deps: Pick<Ports, 'clients'>) => {
  const getApp = (actor: Actor, id: ClientId): Outcome<ApiError, OAuthClient> =>
    whenAllowed(requireScope(SCOPE_ALL)(actor), () => loadClient(deps, id));
  return asTask(getApp);
};

export interface AppListQuery extends ClientQuery {
  /** Only apps this user has live grants for; members may ask only about themselves. */
  readonly userId?: UserId;
}

const mayAskAbout = (actor: Actor, userId: UserId | undefined): E.Either<ApiError, Actor> =>
  userId === undefined ||
  isSystemActor(actor) ||
  actor.user.role === 'owner' ||
  actor.user.id === userId.toLowerCase()
    ? E.right(actor)
    : E.left(ApiErrors.forbidden('Members may only list their own authorized apps.'));

/** Lists apps by name then id; with `userId`, the apps that user has authorized (docs/http-api.md#apps). */
export const makeListApps = (deps: Pick<Ports, 'clients' | 'clock'>) => {
  const grantedTo = async (userId: UserId, query: AppListQuery): Outcome<ApiError, OAuthClient[]> => {
    const page: Page = { limit: query.limit, offset: query.offset };
    const clients = await tryPort(() =>
      deps.clients.listGrantedTo(userId.toLowerCase() as UserId, deps.clock.now(), page),
    );
    if (E.isLeft(clients) || query.dynamicallyRegistered === undefined) return clients;
    return E.right(clients.right.filter((c) => c.dynamicallyRegistered === query.dynamicallyRegistered));
  };

  const list = (actor: Actor, query: AppListQuery): Outcome<ApiError, OAuthClient[]> => {
    const { userId } = query;
    const allowed = E.flatMap(requireScope(SCOPE_ALL)(actor), (a) => mayAskAbout(a, userId));
    return whenAllowed(allowed, () =>
      userId === undefined ? tryPort(() => deps.clients.list(query)) : grantedTo(userId, query),
    );
  };

  return asTask(list);
};
