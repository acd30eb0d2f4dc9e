export type * from './api-key-repository.js';
export type * from './audit-log.js';
export type * from './authorization-repositories.js';
export type * from './client-repository.js';
export type * from './client-metadata-documents.js';
export type * from './rate-limit-counters.js';
export type * from './signing-key-repository.js';
export type * from './system.js';
export type * from './token-signer.js';
export type * from './transactor.js';
export type * from './user-repository.js';

import type { Clock, HealthCheck, PasswordHasher, Random } from './system.js';
import type { Repositories, Transactor } from './transactor.js';

/** Every port; each use case takes a `Pick` of only those it needs. */
export interface Ports extends Repositories {
  readonly transactor: Transactor;
  readonly clock: Clock;
  readonly random: Random;
  readonly passwords: PasswordHasher;
  readonly health: HealthCheck;
}
