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

/** The 12-bit counter of `timeOrderedUuids` (RFC 9562 §6.2, method 1). */
const COUNTER_MAX = 0xfff;

/**
 * UUIDv7 generator (RFC 9562 §5.7): 48 bits of Unix time in milliseconds, the version, a 12-bit
 * counter in `rand_a`, the variant and 62 random bits. Monotonic (RFC 9562 §6.2, method 1): within
 * one millisecond the counter counts up; when it runs out, or the clock steps back, the timestamp
 * is carried forward from the last id instead, so every id sorts after the one before it.
 */
export const timeOrderedUuids = (
  bytes: (length: number) => Uint8Array,
  nowMs: () => number = Date.now,
): (() => string) => {
  let lastMs = -1;
  let counter = 0;
  return () => {
    let ms = nowMs();
    if (ms > lastMs) {
      counter = 0;
    } else {
      ms = lastMs;
      counter += 1;
      if (counter > COUNTER_MAX) {
        ms += 1;
        counter = 0;
      }
    }
    lastMs = ms;
    const id = Buffer.from(bytes(16));
    id.writeUIntBE(ms, 0, 6);
    id[6] = 0x70 | (counter >> 8);
    id[7] = counter & 0xff;
    id[8] = 0x80 | ((id[8] ?? 0) & 0x3f);
    const hex = id.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
};

const pooled = pooledBytes();

export const cryptoRandom: Random = {
  bytes: pooled,
  uuid: () => randomUUID(),
  timeOrderedUuid: timeOrderedUuids(pooled),
};
