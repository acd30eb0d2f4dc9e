import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
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
import { auditEntry, type AuditFacts } from '../audit-entry.js';
import { requireOwner, requireScope } from '../policy.js';
import { decide, fromPort, inTransaction } from '../support.js';
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
export const loadClient =
  (repositories: Pick<Repositories, 'clients'>) =>
  (id: ClientId): TE.TaskEither<ApiError, OAuthClient> =>
    pipe(
      fromPort(() => repositories.clients.findById(id)),
      TE.flatMap((client) => (client === undefined ? TE.left(appNotFound()) : TE.right(client))),
    );

/** Appends an audit entry inside the caller's transaction. */
export const appendAudit =
  (tx: Pick<Repositories, 'audit'>, deps: Pick<Ports, 'clock' | 'random'>, meta: RequestMeta) =>
  (facts: AuditFacts): TE.TaskEither<ApiError, void> =>
    fromPort(() => tx.audit.append(auditEntry(deps, meta)(facts)));

/**
 * An owner creates an app; audited in the same transaction.
 *
 * @see docs/http-api.md#apps, #audit-log
 */
export const makeCreateApp =
  (deps: AppDeps, settings: AppSettings) =>
  (principal: Principal, input: AppInput, meta: RequestMeta): TE.TaskEither<ApiError, OAuthClient> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() => decide(checkAppInput(input, settings, undefined))),
      TE.map((clientType) =>
        appFromInput(deps.random.uuid() as ClientId, input, clientType, principal, deps.clock, undefined),
      ),
      TE.tap((client) =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            fromPort(() => tx.clients.insert(client)),
            TE.flatMap(() =>
              appendAudit(
                tx,
                deps,
                meta,
              )({
                action: 'create',
                resourceType: 'oauth2_provider_app',
                resourceId: client.id,
                actorId: principal.user.id,
                status: 201,
                diff: appDiff(undefined, client),
              }),
            ),
          ),
        ),
      ),
    );

/**
 * An owner replaces an app's name, callback, icon, redirect URIs, scope and `introspect_any`;
 * the client type cannot change (docs/http-api.md#apps).
 */
export const makeUpdateApp =
  (deps: AppDeps, settings: AppSettings) =>
  (
    principal: Principal,
    id: ClientId,
    input: AppInput,
    meta: RequestMeta,
  ): TE.TaskEither<ApiError, OAuthClient> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            loadClient(tx)(id),
            TE.flatMap((existing) => decide(requireOwnerManaged(existing))),
            TE.flatMap((existing) =>
              pipe(
                decide(checkAppInput(input, settings, existing)),
                TE.map((clientType) => appFromInput(id, input, clientType, principal, deps.clock, existing)),
                TE.tap((updated) =>
                  pipe(
                    fromPort(() => tx.clients.update(updated)),
                    // Deleted by a concurrent request since it was read.
                    TE.flatMap((found) => (found ? TE.right(undefined) : TE.left(appNotFound()))),
                  ),
                ),
                TE.tap((updated) =>
                  appendAudit(
                    tx,
                    deps,
                    meta,
                  )({
                    action: 'write',
                    resourceType: 'oauth2_provider_app',
                    resourceId: id,
                    actorId: principal.user.id,
                    status: 200,
                    diff: appDiff(existing, updated),
                  }),
                ),
              ),
            ),
          ),
        ),
      ),
    );

/**
 * An owner deletes an app, and with it its secrets, grants, codes and tokens, in one
 * transaction (docs/http-api.md#apps). Dynamically registered clients may be deleted here too.
 */
export const makeDeleteApp =
  (deps: AppDeps) =>
  (principal: Principal, id: ClientId, meta: RequestMeta): TE.TaskEither<ApiError, void> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() =>
        inTransaction(deps.transactor)((tx) =>
          pipe(
            loadClient(tx)(id),
            TE.tap(() =>
              pipe(
                fromPort(() => tx.clients.delete(id)),
                // Of concurrent deletes, only the one that removed the row succeeds (and is audited).
                TE.flatMap((deleted) => (deleted ? TE.right(undefined) : TE.left(appNotFound()))),
              ),
            ),
            TE.flatMap((existing) =>
              appendAudit(
                tx,
                deps,
                meta,
              )({
                action: 'delete',
                resourceType: 'oauth2_provider_app',
                resourceId: id,
                actorId: principal.user.id,
                status: 204,
                diff: appDiff(existing, undefined),
              }),
            ),
          ),
        ),
      ),
    );

/** Any signed-in user (scope `all`) may read an app (docs/http-api.md#apps). */
export const makeGetApp =
  (deps: Pick<Ports, 'clients'>) =>
  (principal: Principal, id: ClientId): TE.TaskEither<ApiError, OAuthClient> =>
    pipe(
      decide(requireScope(SCOPE_ALL)(principal)),
      TE.flatMap(() => loadClient(deps)(id)),
    );

export interface AppListQuery extends ClientQuery {
  /** Only apps this user has live grants for; members may ask only about themselves. */
  readonly userId?: UserId;
}

const mayAskAbout = (principal: Principal, userId: UserId | undefined): E.Either<ApiError, Principal> =>
  userId === undefined || principal.user.role === 'owner' || principal.user.id === userId.toLowerCase()
    ? E.right(principal)
    : E.left(ApiErrors.forbidden('Members may only list their own authorized apps.'));

/** Lists apps by name then id; with `userId`, the apps that user has authorized (docs/http-api.md#apps). */
export const makeListApps =
  (deps: Pick<Ports, 'clients' | 'clock'>) =>
  (principal: Principal, query: AppListQuery): TE.TaskEither<ApiError, OAuthClient[]> =>
    pipe(
      decide(requireScope(SCOPE_ALL)(principal)),
      TE.flatMap((p) => decide(mayAskAbout(p, query.userId))),
      TE.flatMap(() => {
        const page: Page = { limit: query.limit, offset: query.offset };
        const { userId } = query;
        return userId === undefined
          ? fromPort(() => deps.clients.list(query))
          : pipe(
              fromPort(() =>
                deps.clients.listGrantedTo(userId.toLowerCase() as UserId, deps.clock.now(), page),
              ),
              TE.map((clients) =>
                query.dynamicallyRegistered === undefined
                  ? clients
                  : clients.filter((c) => c.dynamicallyRegistered === query.dynamicallyRegistered),
              ),
            );
      }),
    );
