import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../../errors/api-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appDiff } from '../apps/app-rules.js';
import { appendAudit } from '../audit-entry.js';
import { tryPort, tryTransaction, type Outcome } from '../support.js';

export interface PurgeSettings {
  /** `LATCHKEY_DCR_IDLE_TTL`. */
  readonly dcrIdleTtlSeconds: number;
}

/** A registration that got no grant within a day is abandoned (docs/http-api.md#registration). */
export const UNUSED_REGISTRATION_SECONDS = 24 * 3600;

/** How often the purge may run; between runs `purgeIfDue` costs one clock read. */
const PURGE_INTERVAL_MS = 60_000;

/** Deletions made by the server itself are audited with this request description. */
const MAINTENANCE: RequestMeta = { ip: '', userAgent: 'latchkey maintenance' };

/**
 * Deletes abandoned dynamically registered clients and audits each deletion in the same
 * transaction (docs/http-api.md#registration: hosted clients that re-register on every connect would otherwise
 * pile up). `purgeIfDue` runs it at most once a minute by the domain clock, so it can sit in
 * front of requests and a deadline is honoured within a minute.
 */
export const makePurgeAbandonedClients = (
  deps: Pick<Ports, 'transactor' | 'clock' | 'random'>,
  settings: PurgeSettings,
) => {
  let lastRun: number | undefined;

  const purge = async (tx: Repositories, now: Date): Outcome<ApiError, number> => {
    const clients = await tryPort(() =>
      tx.clients.deleteAbandoned({
        registeredBefore: new Date(now.getTime() - UNUSED_REGISTRATION_SECONDS * 1000),
        idleSince: new Date(now.getTime() - settings.dcrIdleTtlSeconds * 1000),
        now,
      }),
    );
    if (E.isLeft(clients)) return clients;
    for (const client of clients.right) {
      const logged = await appendAudit(tx, deps, MAINTENANCE, {
        action: 'delete',
        resourceType: 'oauth2_provider_app',
        resourceId: client.id,
        status: 204,
        diff: appDiff(client, undefined),
      });
      if (E.isLeft(logged)) return logged;
    }
    return E.right(clients.right.length);
  };

  const purgeNow = (): TE.TaskEither<ApiError, number> => () => {
    const now = deps.clock.now();
    lastRun = now.getTime();
    return tryTransaction(deps.transactor, (tx) => purge(tx, now));
  };

  /** Whether a purge is due: synchronous, so a caller in front of every request can skip cheaply. */
  const isDue = (): boolean => {
    if (lastRun === undefined) return true;
    const elapsed = deps.clock.now().getTime() - lastRun;
    return elapsed < 0 || elapsed >= PURGE_INTERVAL_MS;
  };

  const purgeIfDue = (): TE.TaskEither<ApiError, number> =>
    isDue() ? purgeNow() : () => Promise.resolve(E.right(0));

  return { purgeNow, purgeIfDue, isDue };
};
