import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import { ApiErrors, type ApiError } from '../../errors/api-error.js';
import type { Principal } from '../../model/api-key.js';
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
import { tryPort, tryTransaction, type Outcome } from '../support.js';
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
  const insertAudited = async (
    tx: Repositories,
    client: OAuthClient,
    principal: Principal,
    meta: RequestMeta,
  ): Outcome<ApiError, void> => {
    const inserted = await tryPort(() => tx.clients.insert(client));
    if (E.isLeft(inserted)) return inserted;
    return appendAudit(tx, deps, meta, {
      action: 'create',
      resourceType: 'oauth2_provider_app',
      resourceId: client.id,
      actorId: principal.user.id,
      status: 201,
      diff: appDiff(undefined, client),
    });
  };

  const create = async (
    principal: Principal,
    input: AppInput,
    meta: RequestMeta,
  ): Outcome<ApiError, OAuthClient> => {
    const allowed = requireOwner(principal);
    if (E.isLeft(allowed)) return allowed;
    const clientType = checkAppInput(input, settings, undefined);
    if (E.isLeft(clientType)) return clientType;
    const id = deps.random.uuid() as ClientId;
    const client = appFromInput(id, input, clientType.right, principal, deps.clock, undefined);
    const stored = await tryTransaction(deps.transactor, (tx) => insertAudited(tx, client, principal, meta));
    return E.isLeft(stored) ? stored : E.right(client);
  };

  return (principal: Principal, input: AppInput, meta: RequestMeta): TE.TaskEither<ApiError, OAuthClient> =>
    () =>
      create(principal, input, meta);
};

/**
 * An owner replaces an app's name, callback, icon, redirect URIs, scope and `introspect_any`;
 * the client type cannot change (docs/http-api.md#apps).
 */
export const makeUpdateApp = (deps: AppDeps, settings: AppSettings) => {
  const replace = async (
    tx: Repositories,
    principal: Principal,
    id: ClientId,
    input: AppInput,
    meta: RequestMeta,
  ): Outcome<ApiError, OAuthClient> => {
    const existing = await loadOwnerManaged(tx, id);
    if (E.isLeft(existing)) return existing;
    const clientType = checkAppInput(input, settings, existing.right);
    if (E.isLeft(clientType)) return clientType;
    const updated = appFromInput(id, input, clientType.right, principal, deps.clock, existing.right);
    const found = await tryPort(() => tx.clients.update(updated));
    if (E.isLeft(found)) return found;
    // Deleted by a concurrent request since it was read.
    if (!found.right) return E.left(appNotFound());
    const logged = await appendAudit(tx, deps, meta, {
      action: 'write',
      resourceType: 'oauth2_provider_app',
      resourceId: id,
      actorId: principal.user.id,
      status: 200,
      diff: appDiff(existing.right, updated),
    });
    return E.isLeft(logged) ? logged : E.right(updated);
  };

  const update = (
    principal: Principal,
    id: ClientId,
    input: AppInput,
    meta: RequestMeta,
  ): Outcome<ApiError, OAuthClient> => {
    const allowed = requireOwner(principal);
    if (E.isLeft(allowed)) return Promise.resolve(allowed);
    return tryTransaction(deps.transactor, (tx) => replace(tx, principal, id, input, meta));
  };

  return (
      principal: Principal,
      id: ClientId,
      input: AppInput,
      meta: RequestMeta,
    ): TE.TaskEither<ApiError, OAuthClient> =>
    () =>
      update(principal, id, input, meta);
};

/**
 * An owner deletes an app, and with it its secrets, grants, codes and tokens, in one
 * transaction (docs/http-api.md#apps). Dynamically registered clients may be deleted here too.
 */
export const makeDeleteApp = (deps: AppDeps) => {
  const remove = async (
    tx: Repositories,
    principal: Principal,
    id: ClientId,
    meta: RequestMeta,
  ): Outcome<ApiError, void> => {
    const existing = await loadClient(tx, id);
    if (E.isLeft(existing)) return existing;
    const deleted = await tryPort(() => tx.clients.delete(id));
    if (E.isLeft(deleted)) return deleted;
    // Of concurrent deletes, only the one that removed the row succeeds (and is audited).
    if (!deleted.right) return E.left(appNotFound());
    return appendAudit(tx, deps, meta, {
      action: 'delete',
      resourceType: 'oauth2_provider_app',
      resourceId: id,
      actorId: principal.user.id,
      status: 204,
      diff: appDiff(existing.right, undefined),
    });
  };

  const deleteApp = (principal: Principal, id: ClientId, meta: RequestMeta): Outcome<ApiError, void> => {
    const allowed = requireOwner(principal);
    if (E.isLeft(allowed)) return Promise.resolve(allowed);
    return tryTransaction(deps.transactor, (tx) => remove(tx, principal, id, meta));
  };

  return (principal: Principal, id: ClientId, meta: RequestMeta): TE.TaskEither<ApiError, void> =>
    () =>
      deleteApp(principal, id, meta);
};

/** Any signed-in user (scope `all`) may read an app (docs/http-api.md#apps). */
export const makeGetApp = (deps: Pick<Ports, 'clients'>) => {
  const getApp = async (principal: Principal, id: ClientId): Outcome<ApiError, OAuthClient> => {
    const allowed = requireScope(SCOPE_ALL)(principal);
    return E.isLeft(allowed) ? allowed : loadClient(deps, id);
  };
  return (principal: Principal, id: ClientId): TE.TaskEither<ApiError, OAuthClient> =>
    () =>
      getApp(principal, id);
};

export interface AppListQuery extends ClientQuery {
  /** Only apps this user has live grants for; members may ask only about themselves. */
  readonly userId?: UserId;
}

const mayAskAbout = (principal: Principal, userId: UserId | undefined): E.Either<ApiError, Principal> =>
  userId === undefined || principal.user.role === 'owner' || principal.user.id === userId.toLowerCase()
    ? E.right(principal)
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

  const list = async (principal: Principal, query: AppListQuery): Outcome<ApiError, OAuthClient[]> => {
    const allowed = E.flatMap(requireScope(SCOPE_ALL)(principal), (p) => mayAskAbout(p, query.userId));
    if (E.isLeft(allowed)) return allowed;
    return query.userId === undefined
      ? tryPort(() => deps.clients.list(query))
      : grantedTo(query.userId, query);
  };

  return (principal: Principal, query: AppListQuery): TE.TaskEither<ApiError, OAuthClient[]> =>
    () =>
      list(principal, query);
};
