import type { UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import type { Storage } from './container.js';
import type { KeyRing } from './keys/key-ring.js';

/**
 * How often the maintenance timer ticks. Each tick purges abandoned registrations, so a
 * registration past its deadline is gone within a minute of it (docs/http-api.md#registration).
 */
export const MAINTENANCE_TICK_MS = 60_000;
/** Expired sessions and tokens are deleted every tenth tick: every ten minutes. */
const CLEANUP_EVERY_TICKS = 10;

/**
 * Deletes expired sessions, access tokens, codes, refresh tokens, consent requests and grants, and
 * the shared rate limits' ended windows.
 * One statement each, outside any transaction, one after another: with the embedded database's
 * single connection the requests in between still get their turn.
 *
 * A grant is kept for `grantRetentionSeconds` after it expires (`LATCHKEY_DCR_IDLE_TTL`): the
 * purge of idle registrations measures a client's idle time from the end of its last grant
 * (docs/http-api.md#registration), so that end must still be on record. Its codes and tokens expire before it and
 * go on their own schedule.
 */
export const deleteExpired = async (
  storage: Storage,
  now = new Date(),
  grantRetentionSeconds = 0,
): Promise<number> => {
  let count = 0;
  count += await storage.pendingAuthorizations.deleteExpired(now);
  count += await storage.codes.deleteExpired(now);
  count += await storage.refreshTokens.deleteExpired(now);
  count += await storage.apiKeys.deleteExpired(now);
  count += await storage.grants.deleteExpired(new Date(now.getTime() - grantRetentionSeconds * 1000));
  if (storage.rateLimits !== undefined) count += await storage.rateLimits.deleteExpired(now);
  return count;
};

export interface MaintenanceDeps {
  readonly useCases: Pick<UseCases, 'purgeAbandonedClients'>;
  readonly storage: Storage;
  readonly logger: Logger;
  /** `LATCHKEY_DCR_IDLE_TTL`, see `deleteExpired`. */
  readonly grantRetentionSeconds: number;
  /** Signing keys: rotated by age and deleted once unpublished (docs/openid-connect.md#signing-keys). */
  readonly keyRing?: Pick<KeyRing, 'maintain'>;
}

const maintainSigningKeys = async (deps: MaintenanceDeps): Promise<void> => {
  if (deps.keyRing === undefined) return;
  try {
    const { rotated, deleted } = await deps.keyRing.maintain();
    for (const key of rotated)
      deps.logger.info({ kid: key.kid, alg: key.alg, activatesAt: key.activatesAt }, 'rotated a signing key');
    if (deleted > 0) deps.logger.info({ count: deleted }, 'deleted unpublished signing keys');
  } catch (error) {
    deps.logger.warn({ err: error }, 'signing key maintenance failed');
  }
};

const purgeAbandonedClients = async (deps: MaintenanceDeps): Promise<void> => {
  const result = await deps.useCases.purgeAbandonedClients()();
  if (E.isRight(result)) {
    if (result.right > 0)
      deps.logger.info({ count: result.right }, 'deleted abandoned dynamically registered clients');
  } else if (result.left.status !== 503) {
    // An outage is logged once by the request path (its start and end), not once a minute here.
    deps.logger.warn({ err: result.left.cause }, 'purging abandoned clients failed');
  }
};

const cleanUpExpired = async (deps: MaintenanceDeps): Promise<void> => {
  try {
    const count = await deleteExpired(deps.storage, new Date(), deps.grantRetentionSeconds);
    if (count > 0) deps.logger.info({ count }, 'deleted expired credentials');
  } catch (error) {
    deps.logger.warn({ err: error }, 'cleanup of expired credentials failed');
  }
};

/**
 * The server's one scheduler: a timer, not a hook in front of requests, so that an idle server
 * purges as well as a busy one and no request waits on housekeeping. It ticks on real time; the
 * purge itself judges abandonment by the domain clock the use cases were given, so a test that
 * moves an injected clock runs the purge through the server's use cases right after the move
 * instead of waiting for a tick. A tick that finds the previous one still running is skipped.
 */
export const startMaintenance = (deps: MaintenanceDeps, tickMs = MAINTENANCE_TICK_MS): { stop(): void } => {
  let ticks = 0;
  let running = false;
  const tick = async (): Promise<void> => {
    ticks += 1;
    await purgeAbandonedClients(deps);
    await maintainSigningKeys(deps);
    if (ticks % CLEANUP_EVERY_TICKS === 0) await cleanUpExpired(deps);
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void tick().finally(() => {
      running = false;
    });
  }, tickMs);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
    },
  };
};
