import {
  ClientMetadataFetcher,
  createHttpApp,
  type HttpConfig,
  type Resolver,
} from '@latchkey/adapters-http';
import { createPostgresStorage, migrate } from '@latchkey/adapters-postgres';
import {
  allowedResources,
  BUILT_IN_SCOPES,
  DEFAULT_CACHE_BOUNDS,
  makeUseCases,
  type Clock,
  type Ports,
  type Random,
  type RateLimitCounters,
  type SigningKeyRepository,
  type UseCases,
} from '@latchkey/domain';
import { createInMemoryStorage } from '@latchkey/domain/in-memory';
import { Container, ContainerModule } from 'inversify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { startEmbeddedDatabase } from './embedded-database.js';
import { generateSigningKeyPair, KeyRing, type KeyPairSource } from './keys/key-ring.js';
import { KeySealer } from './keys/key-sealer.js';
import { signingKeySecret } from './keys/signing-key-secret.js';
import { createMetrics, type Metrics, type ObservableDatabase } from './metrics.js';
import { cryptoRandom, systemClock } from './system/node-system.js';
import { ScryptPasswordHasher } from './system/scrypt-password-hasher.js';

/** The Koa application built by the HTTP adapter. */
export type HttpApp = ReturnType<typeof createHttpApp>;

/** Injection tokens. `container.get` is used only by `startLatchkey` and test harnesses. */
export const TOKENS = {
  Config: Symbol.for('latchkey.Config'),
  Logger: Symbol.for('latchkey.Logger'),
  Clock: Symbol.for('latchkey.Clock'),
  Random: Symbol.for('latchkey.Random'),
  Passwords: Symbol.for('latchkey.PasswordHasher'),
  Storage: Symbol.for('latchkey.Storage'),
  Ports: Symbol.for('latchkey.Ports'),
  UseCases: Symbol.for('latchkey.UseCases'),
  HttpApp: Symbol.for('latchkey.HttpApp'),
  Metrics: Symbol.for('latchkey.Metrics'),
  KeyRing: Symbol.for('latchkey.KeyRing'),
} as const;

const supportedScopes = (config: Config): string[] => [...BUILT_IN_SCOPES, ...config.extraScopes];

/** The storage half of the ports, with a way to release it. */
export type Storage = Pick<
  Ports,
  | 'users'
  | 'apiKeys'
  | 'audit'
  | 'clients'
  | 'clientSecrets'
  | 'grants'
  | 'pendingAuthorizations'
  | 'codes'
  | 'refreshTokens'
  | 'transactor'
  | 'health'
> & {
  /** The signing keys (docs/openid-connect.md#signing-keys), outside transactions. */
  readonly signingKeys: SigningKeyRepository;
  close(): Promise<void>;
  /** The SQL gateway (PostgreSQL only), which the metrics measure (docs/metrics.md). */
  readonly sql?: ObservableDatabase;
  /**
   * Rate-limit counters every instance on this storage shares: PostgreSQL on a server only. Absent
   * (in memory, the embedded database: one process by construction), the limits are counted in
   * the process (docs/security.md#rate-limits).
   */
  readonly rateLimits?: RateLimitCounters;
  /** The migrations applied when this storage was opened, oldest first (`latchkey migrate`, docs/cli.md#migrate). */
  readonly migrationsApplied?: readonly string[];
};

/**
 * What tests may replace: the clock (for expiry), the storage (to share a database) and how often
 * the maintenance timer ticks (`MAINTENANCE_TICK_MS` unless given).
 */
export interface Overrides {
  readonly clock?: Clock;
  readonly random?: Random;
  readonly storage?: Storage;
  readonly maintenanceTickMs?: number;
  /**
   * How the metadata document fetcher resolves host names, and trust anchors it adds to Node's
   * (a test CA, as `NODE_EXTRA_CA_CERTS` would add it); certificates are always verified.
   */
  readonly metadataDocumentFetch?: {
    readonly resolve?: Resolver;
    readonly extraCaCertificates?: readonly string[];
    readonly timeoutMs?: number;
  };
  /** Middleware run before the HTTP app's own (tests: OpenAPI validation); see `HttpConfig`. */
  readonly httpMiddleware?: HttpConfig['outerMiddleware'];
  /**
   * Where new signing keys' pairs come from (tests: a few pairs made once per process, since a
   * 2048-bit RSA pair takes a tenth of a second or more to generate and every fresh store makes one).
   */
  readonly signingKeyPairs?: KeyPairSource;
}

const systemModule = (config: Config, logger: Logger, overrides: Overrides) =>
  new ContainerModule(({ bind }) => {
    bind<Config>(TOKENS.Config).toConstantValue(config);
    bind<Logger>(TOKENS.Logger).toConstantValue(logger);
    bind<Clock>(TOKENS.Clock).toConstantValue(overrides.clock ?? systemClock);
    bind<Random>(TOKENS.Random).toConstantValue(overrides.random ?? cryptoRandom);
    bind(TOKENS.Passwords)
      .toResolvedValue(() => ScryptPasswordHasher.create(config.scryptLogN))
      .inSingletonScope();
  });

/** The in-memory adapters (`LATCHKEY_STORAGE=memory`): nothing persists. */
export const memoryStorageModule = new ContainerModule(({ bind }) => {
  bind<Storage>(TOKENS.Storage)
    .toResolvedValue((): Storage => ({ ...createInMemoryStorage(), close: () => Promise.resolve() }))
    .inSingletonScope();
});

/**
 * PostgreSQL at `LATCHKEY_DATABASE_URL`, else the embedded PGlite database (one connection, so a
 * pool of 1). Migrations run here.
 */
const openPostgresStorage = async (config: Config, logger: Logger): Promise<Storage> => {
  const embedded =
    config.databaseUrl === undefined
      ? await startEmbeddedDatabase({
          dataDir: config.dataDir,
          sharedBuffersMb: config.embeddedSharedBuffersMb,
          wasmTierUp: config.embeddedWasmTierUp,
        })
      : undefined;
  if (embedded !== undefined)
    logger.info({ dataDir: config.dataDir }, 'using the embedded PostgreSQL (PGlite)');
  const storage = await createPostgresStorage({
    clientUrl: embedded?.url ?? (config.databaseUrl as string),
    poolMax: embedded === undefined ? config.databasePoolSize : 1,
    pooler: embedded === undefined ? config.databasePooler : 'none',
    lookupCache: { ttlMs: config.lookupCacheTtlSeconds * 1000 },
    // The pool's notes on connections it discards ("Connection Error: …", one per dropped
    // connection) belong in the structured log, at debug: an outage is logged once, elsewhere.
    onWarning: (message) => {
      logger.debug({ pool: message.slice(0, 200) }, 'database pool warning');
    },
  });
  let migrationsApplied: string[];
  try {
    // Instances sharing a PostgreSQL server migrate one at a time; the embedded one is ours alone.
    migrationsApplied = await migrate(storage.orm, {
      exclusive: embedded === undefined,
      pooler: embedded === undefined ? config.databasePooler : 'none',
    });
  } catch (error) {
    await storage.close();
    await embedded?.stop();
    throw error;
  }
  // The embedded database has one process by construction: its limits stay in that process.
  const { rateLimits, ...shared } = storage;
  return {
    ...shared,
    ...(embedded === undefined ? { rateLimits } : {}),
    migrationsApplied,
    close: async () => {
      await storage.close();
      await embedded?.stop();
    },
  };
};

/** The PostgreSQL adapters (`LATCHKEY_STORAGE=postgres`); see `openPostgresStorage`. */
export const postgresStorageModule = new ContainerModule(({ bind }) => {
  bind<Storage>(TOKENS.Storage)
    .toResolvedValue(openPostgresStorage, [TOKENS.Config, TOKENS.Logger])
    .inSingletonScope();
});

/**
 * The storage module of each `LATCHKEY_STORAGE` value. Adding a storage is adding its module here
 * (and its name to the configuration): nothing else chooses between them.
 */
export const STORAGE_MODULES: { readonly [Name in Config['storage']]: ContainerModule } = {
  memory: memoryStorageModule,
  postgres: postgresStorageModule,
};

/** A storage opened elsewhere (`Overrides.storage`: tests that share one database). */
const givenStorageModule = (storage: Storage) =>
  new ContainerModule(({ bind }) => {
    bind<Storage>(TOKENS.Storage).toConstantValue(storage);
  });

const storageModule = (config: Config, overrides: Overrides): ContainerModule =>
  overrides.storage === undefined ? STORAGE_MODULES[config.storage] : givenStorageModule(overrides.storage);

/** Opens the storage `config` names, as the server would, without the rest of the container. */
export const openStorage = (config: Config, logger: Logger): Promise<Storage> => {
  const container = new Container();
  container.load(systemModule(config, logger, {}), storageModule(config, {}));
  return container.getAsync<Storage>(TOKENS.Storage);
};

/**
 * The signing keys over `storage` (docs/openid-connect.md#signing-keys), with the configured
 * secret; nothing is read or created until `ensure` (start-up) or a CLI command.
 */
export const openKeyRing = (
  config: Config,
  logger: Logger,
  storage: Pick<Storage, 'signingKeys'>,
  clock: Clock = systemClock,
  keyPairs: KeyPairSource = generateSigningKeyPair,
): KeyRing =>
  new KeyRing(
    storage.signingKeys,
    async () => new KeySealer(await signingKeySecret(config, logger)),
    clock,
    {
      issuer: config.issuer,
      prePublishSeconds: config.oidc.signingKeyPrePublishSeconds,
      rotationSeconds: config.oidc.signingKeyRotationSeconds,
      retentionSeconds: Math.max(config.oidc.idTokenTtlSeconds, config.oidc.jwtAccessTokenTtlSeconds),
    },
    keyPairs,
  );

/** Documents kept in memory at once (docs/http-api.md#client-id-metadata-documents). */
const MAX_CACHED_METADATA_DOCUMENTS = 1000;

const domainModule = (overrides: Overrides) =>
  new ContainerModule(({ bind }) => {
    bind<KeyRing>(TOKENS.KeyRing)
      .toResolvedValue(
        (config: Config, logger: Logger, storage: Storage, clock: Clock) =>
          openKeyRing(config, logger, storage, clock, overrides.signingKeyPairs),
        [TOKENS.Config, TOKENS.Logger, TOKENS.Storage, TOKENS.Clock],
      )
      .inSingletonScope();
    bind<Ports>(TOKENS.Ports)
      .toResolvedValue(
        (storage: Storage, clock: Clock, random: Random, passwords: ScryptPasswordHasher): Ports => ({
          users: storage.users,
          apiKeys: storage.apiKeys,
          audit: storage.audit,
          clients: storage.clients,
          clientSecrets: storage.clientSecrets,
          grants: storage.grants,
          pendingAuthorizations: storage.pendingAuthorizations,
          codes: storage.codes,
          refreshTokens: storage.refreshTokens,
          transactor: storage.transactor,
          health: storage.health,
          clock,
          random,
          passwords,
        }),
        [TOKENS.Storage, TOKENS.Clock, TOKENS.Random, TOKENS.Passwords],
      )
      .inSingletonScope();
    bind<UseCases>(TOKENS.UseCases)
      .toResolvedValue(
        (ports: Ports, config: Config, logger: Logger, keyRing: KeyRing) =>
          makeUseCases(
            ports,
            {
              sessionTtlSeconds: config.sessionTtlSeconds,
              setupToken: config.setupToken,
              issuer: config.issuer,
              codeTtlSeconds: config.codeTtlSeconds,
              accessTokenTtlSeconds: config.accessTokenTtlSeconds,
              refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
              refreshReuseGraceSeconds: config.refreshReuseGraceSeconds,
              grantMaxTtlSeconds: config.grantMaxTtlSeconds,
              defaultScope: config.defaultScope,
              supportedScopes: supportedScopes(config),
              dcrScopes: config.dcrScopes,
              allowedResources: allowedResources(config.issuer, config.allowedResources),
              dcrIdleTtlSeconds: config.dcrIdleTtlSeconds,
              oidc: {
                idTokenTtlSeconds: config.oidc.idTokenTtlSeconds,
                signingAlg: config.oidc.signingAlg,
                jwtAccessTokenTtlSeconds: config.oidc.jwtAccessTokenTtlSeconds,
                jwtResources: config.oidc.jwtResources,
              },
            },
            config.cimdEnabled
              ? {
                  documents: new ClientMetadataFetcher({
                    allowPrivateAddresses: config.cimdAllowPrivateHosts,
                    clock: ports.clock,
                    ...overrides.metadataDocumentFetch,
                  }),
                  settings: {
                    blocked: config.cimdBlocked,
                    cache: DEFAULT_CACHE_BOUNDS,
                    maxCachedDocuments: MAX_CACHED_METADATA_DOCUMENTS,
                    onUnusable: (url, detail) => {
                      logger.warn(
                        { clientId: url.slice(0, 256), detail },
                        'client metadata document not usable',
                      );
                    },
                  },
                }
              : undefined,
            keyRing,
          ),
        [TOKENS.Ports, TOKENS.Config, TOKENS.Logger, TOKENS.KeyRing],
      )
      .inSingletonScope();
  });

/** One registry per container (`LATCHKEY_METRICS_ADDRESS` set), so servers in one process keep apart. */
const metricsModule = new ContainerModule(({ bind }) => {
  bind<Metrics>(TOKENS.Metrics).toResolvedValue(createMetrics).inSingletonScope();
});

const httpModule = (overrides: Overrides) =>
  new ContainerModule(({ bind }) => {
    bind<HttpApp>(TOKENS.HttpApp)
      .toResolvedValue(
        (
          useCases: UseCases,
          config: Config,
          logger: Logger,
          clock: Clock,
          storage: Storage,
          keyRing: KeyRing,
          metrics: Metrics | undefined,
        ) => {
          const httpConfig: HttpConfig = {
            issuer: config.issuer,
            trustProxy: config.trustProxy,
            loginRateLimitPerMinute: config.rateLimitLogin,
            sessionTtlSeconds: config.sessionTtlSeconds,
            setupTokenRequired: config.setupToken !== undefined,
            bodyLimitBytes: 64 * 1024,
            supportedScopes: supportedScopes(config),
            tokenRateLimitPerMinute: config.rateLimitToken,
            registerRateLimitPerMinute: config.rateLimitRegister,
            ...(storage.rateLimits === undefined ? {} : { rateLimitCounters: storage.rateLimits }),
            registrationEnabled: config.dcrEnabled,
            metadataDocuments: { enabled: config.cimdEnabled, trustedDomains: config.cimdTrustedDomains },
            oidc: {
              jwks: () => keyRing.jwks(true),
              jwksMaxAgeSeconds: keyRing.jwksMaxAgeSeconds(),
              signingAlg: config.oidc.signingAlg,
            },
            logger,
            clock,
            ...(metrics === undefined ? {} : { observeRequest: metrics.observeRequest }),
            ...(overrides.httpMiddleware === undefined ? {} : { outerMiddleware: overrides.httpMiddleware }),
          };
          return createHttpApp(useCases, httpConfig);
        },
        [
          TOKENS.UseCases,
          TOKENS.Config,
          TOKENS.Logger,
          TOKENS.Clock,
          TOKENS.Storage,
          TOKENS.KeyRing,
          { serviceIdentifier: TOKENS.Metrics, optional: true },
        ],
      )
      .inSingletonScope();
  });

/** The composition root: the only place that knows which adapter implements which port. */
export const buildContainer = (config: Config, logger: Logger, overrides: Overrides = {}): Container => {
  const container = new Container();
  container.load(
    systemModule(config, logger, overrides),
    storageModule(config, overrides),
    domainModule(overrides),
    httpModule(overrides),
    ...(config.metricsAddress === undefined ? [] : [metricsModule]),
  );
  return container;
};
