import * as E from 'fp-ts/lib/Either.js';
import type { ApiError } from '../../errors/api-error.js';
import type { RequestMeta } from '../../model/audit.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { appDiff } from '../apps/app-rules.js';
import { appendAudit } from '../audit-entry.js';
import { asTask, tryPort, tryTransaction, type Outcome } from '../support.js';

export interface PurgeSettings {
  /** `LATCHKEY_DCR_IDLE_TTL`. */
  readonly dcrIdleTtlSeconds: number;
}

/** A registration that got no grant within a day is abandoned (docs/http-api.md#registration). */
export const UNUSED_REGISTRATION_SECONDS = 24 * 3600;

/** Deletions made by the server itself are audited with this request description. */
const MAINTENANCE: RequestMeta = { ip: '', userAgent: 'latchkey maintenance' };

/**
 * Deletes the dynamically registered clients abandoned by the domain clock's now and audits each
 * deletion in the same transaction; answers how many (docs/http-api.md#registration: hosted
 * clients that re-register on every connect would otherwise pile up). It keeps no state: when it
 * runs is the caller's business (the app's maintenance timer).
 */
export const makePurgeAbandonedClients = (
  deps: Pick<Ports, 'transactor' | 'clock' | 'random'>,
  settings: PurgeSettings,
) => {
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
      const audit = appendAudit(tx, deps, MAINTENANCE);
      const logged = await audit(
        { action: 'delete', resourceType: 'oauth2_provider_app', resourceId: client.id },
        { status: 204, diff: appDiff(client, undefined) },
      );
      if (E.isLeft(logged)) return logged;
    }
    return E.right(clients.right.length);
  };

  const purgeNow = (): Outcome<ApiError, number> => {
    const now = deps.clock.now();
    return tryTransaction(deps.transactor, (tx) => purge(tx, now));
  };
  return asTask(purgeNow);
};
