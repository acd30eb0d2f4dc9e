export { runCli, type CliIo } from './cli/program.js';
export { decodeConfig, type Config, type Env } from './config.js';
export {
  buildContainer,
  memoryStorageModule,
  openKeyRing,
  openStorage,
  postgresStorageModule,
  STORAGE_MODULES,
  TOKENS,
  type Overrides,
  type Storage,
} from './container.js';
export {
  DataDirectoryLockedError,
  lockDataDirectory,
  type DataDirectoryHolder,
  type DataDirectoryLock,
} from './data-directory-lock.js';
export { startEmbeddedDatabase, type EmbeddedDatabase } from './embedded-database.js';
export {
  generateSigningKeyPair,
  KeyRing,
  SigningKeySecretError,
  type KeyPairSource,
  type KeyRingSettings,
  type KeyState,
} from './keys/key-ring.js';
export { KeySealer } from './keys/key-sealer.js';
export { MissingSigningKeySecretError, signingKeySecret } from './keys/signing-key-secret.js';
export { createLogger } from './logger.js';
export { deleteExpired } from './maintenance.js';
export { createMetrics, serveMetrics, type Metrics, type MetricsEndpoint } from './metrics.js';
export { needsSetup, startLatchkey, type RunningLatchkey } from './server.js';
export { ScryptPasswordHasher, Turns } from './system/scrypt-password-hasher.js';
export { cryptoRandom, systemClock, timeOrderedUuids } from './system/node-system.js';
