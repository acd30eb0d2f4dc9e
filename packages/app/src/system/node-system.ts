import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, Random } from '@latchkey/domain';

export const systemClock: Clock = { now: () => new Date() };

/** The operating system's CSPRNG. */
export const cryptoRandom: Random = {
  bytes: (length) => randomBytes(length),
  uuid: () => randomUUID(),
};
