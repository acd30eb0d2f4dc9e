import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../../errors/api-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import { appDiff } from '../apps/app-rules.js';
import { auditEntry } from '../audit-entry.js';
import { fromPort, inTransaction } from '../support.js';

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

  const purgeNow = (): TE.TaskEither<ApiError, number> => {
    const now = deps.clock.now();
    lastRun = now.getTime();
    return inTransaction(deps.transactor)((tx) =>
      pipe(
        fromPort(() =>
          tx.clients.deleteAbandoned({
            registeredBefore: new Date(now.getTime() - UNUSED_REGISTRATION_SECONDS * 1000),
            idleSince: new Date(now.getTime() - settings.dcrIdleTtlSeconds * 1000),
            now,
          }),
        ),
        TE.tap((clients) =>
          fromPort(async () => {
            for (const client of clients) {
              await tx.audit.append(
                auditEntry(
                  deps,
                  MAINTENANCE,
                )({
                  action: 'delete',
                  resourceType: 'oauth2_provider_app',
                  resourceId: client.id,
                  status: 204,
                  diff: appDiff(client, undefined),
                }),
              );
            }
          }),
        ),
        TE.map((clients) => clients.length),
      ),
    );
  };

  /** Whether a purge is due: synchronous, so a caller in front of every request can skip cheaply. */
  const isDue = (): boolean => {
    if (lastRun === undefined) return true;
    const elapsed = deps.clock.now().getTime() - lastRun;
    return elapsed < 0 || elapsed >= PURGE_INTERVAL_MS;
  };

  const purgeIfDue = (): TE.TaskEither<ApiError, number> => (isDue() ? purgeNow() : TE.right(0));

  return { purgeNow, purgeIfDue, isDue };
};
