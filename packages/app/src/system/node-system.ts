import { randomFillSync, randomUUID } from 'node:crypto';
import type { Clock, Random } from '@latchkey/domain';

export const systemClock: Clock = { now: () => new Date() };

/** Bytes drawn from the CSPRNG at a time; each is handed out once, then the pool is refilled. */
const POOL_BYTES = 4096;

/**
 * The operating system's CSPRNG, drawn in 4 KiB batches: one `randomFillSync` per batch instead
 * of one per credential (it was ~8% of a token request's CPU). Every byte is handed out once and
 * each call gets a copy, so no two credentials share bytes and no caller can alter another's.
 * `randomUUID` pools the same way internally.
 */
const pooledBytes = (): ((length: number) => Uint8Array) => {
  const pool = Buffer.allocUnsafe(POOL_BYTES);
  let offset = POOL_BYTES;
  return (length) => {
    if (length > POOL_BYTES) return randomFillSync(Buffer.allocUnsafe(length));
    if (offset + length > POOL_BYTES) {
      randomFillSync(pool);
      offset = 0;
    }
    const bytes = Uint8Array.prototype.slice.call(pool, offset, offset + length);
    offset += length;
    return bytes;
  };
};

export const cryptoRandom: Random = {
  bytes: pooledBytes(),
  uuid: () => randomUUID(),
};
