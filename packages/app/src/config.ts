import {
  allowedResources,
  BUILT_IN_SCOPES,
  normaliseResource,
  checkClientIdUrl,
  parseScope,
  SCOPE_ALL,
  type CredentialLifetimes,
  type OAuthSettings,
  type SigningAlgorithm,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/**
 * Connections to an external PostgreSQL by default. A token request holds one for a single
 * statement at a time, so a few per core keep the database busy; the benchmark measured 10 ahead
 * of 5 (too few to overlap round trips) and of 20 or 32 (more backends contending for the same
 * cores) on two cores.
 */
const DEFAULT_POOL_SIZE = 10;

/** The embedded database's `shared_buffers` in MiB by default (embedded-database.ts says why). */
export const DEFAULT_EMBEDDED_SHARED_BUFFERS_MB = 16;

/** A listen address: a host name or IP address (IPv6 without brackets) and a port. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * Configuration from `LATCHKEY_*` environment variables (docs/http-api.md#configuration), decoded once at start-up.
 * A bad value stops start-up with a message naming the variable. The token lifetimes and scope
 * lists are the authorization server's settings as the domain names them.
 */
export interface Config
  extends CredentialLifetimes, Pick<OAuthSettings, 'issuer' | 'defaultScope' | 'dcrScopes'> {
  readonly httpHost: string;
  readonly httpPort: number;
  /** Where `/metrics` is served (`LATCHKEY_METRICS_ADDRESS`, docs/metrics.md); unset: no metrics. */
  readonly metricsAddress?: ListenAddress | undefined;
  readonly storage: 'postgres' | 'memory';
  readonly databaseUrl?: string | undefined;
  readonly dataDir: string;
  /** Connections to an external PostgreSQL (`LATCHKEY_DATABASE_POOL_SIZE`, default 10); the embedded database has one. */
  readonly databasePoolSize: number;
  /**
   * `transaction` when `LATCHKEY_DATABASE_URL` is a pooler in transaction mode, such as PgBouncer
   * (`LATCHKEY_DATABASE_POOLER`, docs/deployment.md#pgbouncer); default `none`.
   */
  readonly databasePooler: 'none' | 'transaction';
  /**
   * How long the PostgreSQL storage serves a token, user or client secret lookup from memory
   * (`LATCHKEY_LOOKUP_CACHE_TTL`, default 1 s, 0 off): the bound on how late another instance sees
   * a revocation (docs/scaling.md#the-lookup-cache).
   */
  readonly lookupCacheTtlSeconds: number;
  readonly sessionTtlSeconds: number;
  readonly dcrIdleTtlSeconds: number;
  readonly extraScopes: readonly string[];
  /** `LATCHKEY_ALLOWED_RESOURCES` as given; the domain's list adds the issuer and the MCP endpoint. */
  readonly allowedResources: readonly string[];
  readonly dcrEnabled: boolean;
  /** Client ID Metadata Documents (docs/http-api.md#client-id-metadata-documents). */
  readonly cimdEnabled: boolean;
  /** Only for tests and closed networks: documents may come from non-public addresses. */
  readonly cimdAllowPrivateHosts: boolean;
  /** Domains (and their subdomains) whose documents get no unverified warning on the consent page. */
  readonly cimdTrustedDomains: readonly string[];
  /** Client id URLs (exact) and domains (with their subdomains) that may not sign in. */
  readonly cimdBlocked: readonly string[];
  readonly setupToken?: string | undefined;
  readonly rateLimitLogin: number;
  readonly rateLimitRegister: number;
  readonly rateLimitToken: number;
  readonly trustProxy: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** scrypt cost for passwords (`LATCHKEY_SCRYPT_LOG_N`, 10-20, default 15). */
  readonly scryptLogN: number;
  /** The embedded database's `shared_buffers` in MiB (`LATCHKEY_EMBEDDED_SHARED_BUFFERS`, 1-1024, default 16). */
  readonly embeddedSharedBuffersMb: number;
  /** Whether V8 optimises the embedded database's hot code (`LATCHKEY_EMBEDDED_WASM_TIER_UP`, default false). */
  readonly embeddedWasmTierUp: boolean;
  /** OpenID Connect, signing keys and JWT access tokens (docs/openid-connect.md). */
  readonly oidc: OidcConfig;
}

/** The settings of docs/openid-connect.md. */
export interface OidcConfig {
  /** Encrypts the private signing keys (`LATCHKEY_SIGNING_KEY_SECRET`); required with an external PostgreSQL. */
  readonly signingKeySecret?: string | undefined;
  /** A new key is published this long before it signs (`LATCHKEY_SIGNING_KEY_PREPUBLISH`, default 1d). */
  readonly signingKeyPrePublishSeconds: number;
  /** Keys are rotated at this age; 0: only by hand (`LATCHKEY_SIGNING_KEY_ROTATION`, default 90d). */
  readonly signingKeyRotationSeconds: number;
  /** Signs ID tokens and JWT access tokens (`LATCHKEY_ID_TOKEN_SIGNING_ALG`, default ES256). */
  readonly signingAlg: SigningAlgorithm;
  /** `LATCHKEY_ID_TOKEN_TTL`, default 1h. */
  readonly idTokenTtlSeconds: number;
  /** `LATCHKEY_JWT_ACCESS_TOKEN_TTL`, default 5m. */
  readonly jwtAccessTokenTtlSeconds: number;
  /** Resources (of the allowed ones) whose access tokens are JWTs (`LATCHKEY_JWT_RESOURCES`). */
  readonly jwtResources: readonly string[];
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A variable's decoder: raw text (never empty here) to a value, or the reason it is refused. */
type Field<A> = (raw: string) => E.Either<string, A>;

const duration: Field<number> = (raw) => {
  const match = /^(\d{1,9})([smhd]?)$/.exec(raw.trim());
  if (match === null) return E.left('must be seconds, or a number followed by s, m, h or d');
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return E.right(Number(match[1]) * unit);
};

const positiveDuration: Field<number> = (raw) =>
  E.flatMap(duration(raw), (s) => (s > 0 ? E.right(s) : E.left('must be greater than zero')));

const nonNegativeInt: Field<number> = (raw) =>
  /^\d{1,9}$/.test(raw.trim()) ? E.right(Number(raw.trim())) : E.left('must be a non-negative integer');

const boolean: Field<boolean> = (raw) => {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return E.right(true);
  if (['false', '0', 'no', 'off'].includes(value)) return E.right(false);
  return E.left('must be true or false');
};

const oneOf =
  <T extends string>(...values: T[]): Field<T> =>
  (raw) =>
    (values as string[]).includes(raw.trim())
      ? E.right(raw.trim() as T)
      : E.left(`must be one of ${values.join(', ')}`);

const text: Field<string> = (raw) => E.right(raw);

/** An origin: no path, query or fragment; https unless the host is loopback. */
const publicUrl: Field<string> = (raw) => {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return E.left('must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return E.left('must be an http(s) URL');
  if (
    (url.pathname !== '/' && url.pathname !== '') ||
    url.search !== '' ||
    url.hash !== '' ||
    /[?#]/.test(raw)
  ) {
    return E.left('must be an origin, without path, query or fragment');
  }
  if (url.username !== '' || url.password !== '') return E.left('must not contain credentials');
  if (url.protocol === 'http:' && !LOOPBACK_HOSTS.has(url.hostname))
    return E.left('must be https unless the host is loopback');
  return E.right(url.origin);
};

const httpAddress: Field<ListenAddress> = (raw) => {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(raw.trim());
  const port = Number(match?.[2]);
  if (match?.[1] === undefined || port > 65535) return E.left('must be host:port');
  return E.right({ host: match[1].replace(/^\[|\]$/g, ''), port });
};

const databaseUrl: Field<string> = (raw) =>
  /^postgres(ql)?:\/\//.test(raw.trim()) ? E.right(raw.trim()) : E.left('must be a postgres:// URL');

const resources: Field<string[]> = (raw) => {
  const list = raw.split(/[\s,]+/).filter((s) => s !== '');
  for (const item of list) {
    try {
      const url = new URL(item);
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        return E.left(`${item} is not an http(s) URL`);
      if (url.hash !== '') return E.left(`${item} must not have a fragment`);
    } catch {
      return E.left(`${item} is not an absolute URL`);
    }
  }
  return E.right(list);
};

const DOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Host names, separated by commas or spaces; lower-cased. */
const domainList: Field<string[]> = (raw) => {
  const list = raw
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map((s) => s.toLowerCase());
  const bad = list.find((s) => !DOMAIN.test(s));
  return bad === undefined ? E.right(list) : E.left(`${bad} is not a domain name`);
};

/** Domains, or client id URLs (draft-ietf-oauth-client-id-metadata-document §3) blocked exactly. */
const blockList: Field<string[]> = (raw) => {
  const list = raw.split(/[\s,]+/).filter((s) => s !== '');
  for (const item of list) {
    if (item.includes('/') ? E.isLeft(checkClientIdUrl(item)) : !DOMAIN.test(item.toLowerCase()))
      return E.left(`${item} is neither a domain name nor a client id URL`);
  }
  return E.right(list.map((s) => (s.includes('/') ? s : s.toLowerCase())));
};

const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const scopeList: Field<string[]> = (raw) => {
  const list = parseScope(raw.trim());
  const bad = list.find((s) => !SCOPE_TOKEN.test(s));
  return bad === undefined ? E.right(list) : E.left(`${bad} is not a valid scope token`);
};

/** `field`, further limited to the values `allowed` accepts; `reason` says why another is refused. */
const within =
  <A>(field: Field<A>, allowed: (value: A) => boolean, reason: string): Field<A> =>
  (raw) =>
    E.flatMap(field(raw), (value) => (allowed(value) ? E.right(value) : E.left(reason)));

/** A whole number from `min` to `max`; `what` names it in the reason a value is refused. */
const intBetween = (min: number, max: number, what?: string): Field<number> =>
  within(
    nonNegativeInt,
    (n) => n >= min && n <= max,
    `must be ${what === undefined ? '' : `${what} `}between ${min} and ${max}`,
  );

/** Text of at least `min` characters (a secret). */
const atLeastChars =
  (min: number): Field<string> =>
  (raw) =>
    raw.length >= min ? E.right(raw) : E.left(`must be at least ${min} characters`);

/** An io-ts codec for one variable's text, failing with the reason it is refused. */
const variable = <A>(name: string, field: Field<A>): t.Type<A, string> =>
  new t.Type<A, string>(
    name,
    (_u): _u is A => false,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, 'must be text');
      const decoded = field(u);
      return E.isLeft(decoded) ? t.failure(u, c, decoded.left) : t.success(decoded.right);
    },
    () => {
      throw new Error(`${name} is decode-only`);
    },
  );

const Environment = t.partial({
  LATCHKEY_PUBLIC_URL: variable('PublicUrl', publicUrl),
  LATCHKEY_HTTP_ADDRESS: variable('HttpAddress', httpAddress),
  LATCHKEY_METRICS_ADDRESS: variable('MetricsAddress', httpAddress),
  LATCHKEY_STORAGE: variable('Storage', oneOf('postgres', 'memory')),
  LATCHKEY_DATABASE_URL: variable('DatabaseUrl', databaseUrl),
  LATCHKEY_DATA_DIR: variable('DataDir', text),
  LATCHKEY_DATABASE_POOL_SIZE: variable('PoolSize', intBetween(1, 200)),
  LATCHKEY_DATABASE_POOLER: variable('Pooler', oneOf('none', 'transaction')),
  LATCHKEY_LOOKUP_CACHE_TTL: variable(
    'LookupCacheTtl',
    within(duration, (s) => s <= 60, 'must be at most 60 seconds'),
  ),
  LATCHKEY_SESSION_TTL: variable('Duration', positiveDuration),
  LATCHKEY_CODE_TTL: variable(
    'CodeTtl',
    within(positiveDuration, (s) => s <= 600, 'must be at most 10 minutes'),
  ),
  LATCHKEY_ACCESS_TOKEN_TTL: variable('Duration', positiveDuration),
  LATCHKEY_REFRESH_TOKEN_TTL: variable('Duration', positiveDuration),
  LATCHKEY_REFRESH_REUSE_GRACE: variable('Duration', duration),
  LATCHKEY_GRANT_MAX_TTL: variable('Duration', positiveDuration),
  LATCHKEY_DCR_IDLE_TTL: variable('Duration', positiveDuration),
  LATCHKEY_DEFAULT_SCOPE: variable('ScopeList', scopeList),
  LATCHKEY_EXTRA_SCOPES: variable('ScopeList', scopeList),
  LATCHKEY_DCR_SCOPES: variable('ScopeList', scopeList),
  LATCHKEY_ALLOWED_RESOURCES: variable('Resources', resources),
  LATCHKEY_DCR_ENABLED: variable('Boolean', boolean),
  LATCHKEY_CIMD_ENABLED: variable('Boolean', boolean),
  LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS: variable('Boolean', boolean),
  LATCHKEY_CIMD_TRUSTED_DOMAINS: variable('Domains', domainList),
  LATCHKEY_CIMD_BLOCKED: variable('BlockList', blockList),
  LATCHKEY_SETUP_TOKEN: variable('SetupToken', atLeastChars(16)),
  LATCHKEY_RATE_LIMIT_LOGIN: variable('RateLimit', nonNegativeInt),
  LATCHKEY_RATE_LIMIT_REGISTER: variable('RateLimit', nonNegativeInt),
  LATCHKEY_RATE_LIMIT_TOKEN: variable('RateLimit', nonNegativeInt),
  LATCHKEY_TRUST_PROXY: variable('TrustProxy', nonNegativeInt),
  LATCHKEY_LOG_LEVEL: variable(
    'LogLevel',
    oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  ),
  LATCHKEY_SIGNING_KEY_SECRET: variable('SigningKeySecret', atLeastChars(32)),
  LATCHKEY_SIGNING_KEY_PREPUBLISH: variable('Duration', duration),
  LATCHKEY_SIGNING_KEY_ROTATION: variable('Duration', duration),
  LATCHKEY_ID_TOKEN_TTL: variable('Duration', positiveDuration),
  LATCHKEY_ID_TOKEN_SIGNING_ALG: variable('SigningAlg', oneOf('ES256', 'RS256')),
  LATCHKEY_JWT_ACCESS_TOKEN_TTL: variable('Duration', positiveDuration),
  LATCHKEY_JWT_RESOURCES: variable('Resources', resources),
  LATCHKEY_SCRYPT_LOG_N: variable('ScryptCost', intBetween(10, 20)),
  LATCHKEY_EMBEDDED_SHARED_BUFFERS: variable('SharedBuffers', intBetween(1, 1024, 'a number of MiB')),
  LATCHKEY_EMBEDDED_WASM_TIER_UP: variable('Boolean', boolean),
});

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::']);

/** Whether two listen addresses would take the same socket (port 0 picks a free port each time). */
const sameListener = (a: ListenAddress, b: ListenAddress): boolean =>
  a.port !== 0 &&
  a.port === b.port &&
  (a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host));

/** Scopes settings may only name supported scopes; the DCR set never includes `all` (docs/http-api.md#registration). */
const checkScopes = (
  name: string,
  list: readonly string[],
  supported: ReadonlySet<string>,
  allowAll: boolean,
): string[] =>
  list
    .filter((s) => !supported.has(s) || (!allowAll && s === SCOPE_ALL))
    .map((s) => `${name} names ${s}, which is not a supported scope here`);

/** Decodes every variable, collecting all failures so that an operator sees them at once. */
export const decodeConfig = (env: Env): E.Either<string[], Config> => {
  // An empty value counts as unset.
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([key, value]) => key.startsWith('LATCHKEY_') && value !== undefined && value.trim() !== '',
    ),
  );
  const decoded = Environment.decode(present);
  if (E.isLeft(decoded)) {
    return E.left(
      decoded.left.map((error) => {
        const key = error.context.find((entry) => entry.key.startsWith('LATCHKEY_'))?.key ?? 'LATCHKEY_*';
        return `${key} ${error.message ?? 'is invalid'}`;
      }),
    );
  }
  const v = decoded.right;
  const extraScopes = v.LATCHKEY_EXTRA_SCOPES ?? [];
  const supported = new Set([...BUILT_IN_SCOPES, ...extraScopes]);
  const defaultScope = v.LATCHKEY_DEFAULT_SCOPE ?? ['mcp', 'user:read'];
  const dcrScopes = v.LATCHKEY_DCR_SCOPES ?? ['mcp', 'user:read'];
  const scopeErrors = [
    ...checkScopes('LATCHKEY_DEFAULT_SCOPE', defaultScope, supported, true),
    ...checkScopes('LATCHKEY_DCR_SCOPES', dcrScopes, supported, false),
  ];
  if (scopeErrors.length > 0) return E.left(scopeErrors);
  const issuer = v.LATCHKEY_PUBLIC_URL ?? 'http://localhost:8080';
  const allowed = allowedResources(issuer, v.LATCHKEY_ALLOWED_RESOURCES ?? []);
  const jwtResources = (v.LATCHKEY_JWT_RESOURCES ?? []).map((r) => normaliseResource(r) ?? r);
  const notAllowed = jwtResources.filter((r) => !allowed.includes(r));
  if (notAllowed.length > 0)
    return E.left(
      notAllowed.map(
        (r) =>
          `LATCHKEY_JWT_RESOURCES names ${r}, which is not an allowed resource (LATCHKEY_ALLOWED_RESOURCES)`,
      ),
    );
  const address = v.LATCHKEY_HTTP_ADDRESS ?? { host: '127.0.0.1', port: 8080 };
  const metricsAddress = v.LATCHKEY_METRICS_ADDRESS;
  if (metricsAddress !== undefined && sameListener(address, metricsAddress))
    return E.left([
      'LATCHKEY_METRICS_ADDRESS must differ from LATCHKEY_HTTP_ADDRESS (metrics have a listener of their own)',
    ]);
  return E.right({
    issuer,
    httpHost: address.host,
    httpPort: address.port,
    metricsAddress,
    storage: v.LATCHKEY_STORAGE ?? 'postgres',
    databaseUrl: v.LATCHKEY_DATABASE_URL,
    dataDir: v.LATCHKEY_DATA_DIR ?? './.latchkey',
    databasePoolSize: v.LATCHKEY_DATABASE_POOL_SIZE ?? DEFAULT_POOL_SIZE,
    databasePooler: v.LATCHKEY_DATABASE_POOLER ?? 'none',
    lookupCacheTtlSeconds: v.LATCHKEY_LOOKUP_CACHE_TTL ?? 1,
    sessionTtlSeconds: v.LATCHKEY_SESSION_TTL ?? 86_400,
    codeTtlSeconds: v.LATCHKEY_CODE_TTL ?? 60,
    accessTokenTtlSeconds: v.LATCHKEY_ACCESS_TOKEN_TTL ?? 3600,
    refreshTokenTtlSeconds: v.LATCHKEY_REFRESH_TOKEN_TTL ?? 30 * 86_400,
    refreshReuseGraceSeconds: v.LATCHKEY_REFRESH_REUSE_GRACE ?? 30,
    grantMaxTtlSeconds: v.LATCHKEY_GRANT_MAX_TTL ?? 90 * 86_400,
    dcrIdleTtlSeconds: v.LATCHKEY_DCR_IDLE_TTL ?? 30 * 86_400,
    defaultScope,
    extraScopes,
    dcrScopes,
    allowedResources: v.LATCHKEY_ALLOWED_RESOURCES ?? [],
    dcrEnabled: v.LATCHKEY_DCR_ENABLED ?? true,
    cimdEnabled: v.LATCHKEY_CIMD_ENABLED ?? true,
    cimdAllowPrivateHosts: v.LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS ?? false,
    cimdTrustedDomains: v.LATCHKEY_CIMD_TRUSTED_DOMAINS ?? [],
    cimdBlocked: v.LATCHKEY_CIMD_BLOCKED ?? [],
    setupToken: v.LATCHKEY_SETUP_TOKEN,
    rateLimitLogin: v.LATCHKEY_RATE_LIMIT_LOGIN ?? 10,
    rateLimitRegister: v.LATCHKEY_RATE_LIMIT_REGISTER ?? 30,
    rateLimitToken: v.LATCHKEY_RATE_LIMIT_TOKEN ?? 600,
    trustProxy: v.LATCHKEY_TRUST_PROXY ?? 0,
    logLevel: v.LATCHKEY_LOG_LEVEL ?? 'info',
    scryptLogN: v.LATCHKEY_SCRYPT_LOG_N ?? 15,
    embeddedSharedBuffersMb: v.LATCHKEY_EMBEDDED_SHARED_BUFFERS ?? DEFAULT_EMBEDDED_SHARED_BUFFERS_MB,
    embeddedWasmTierUp: v.LATCHKEY_EMBEDDED_WASM_TIER_UP ?? false,
    oidc: {
      signingKeySecret: v.LATCHKEY_SIGNING_KEY_SECRET,
      signingKeyPrePublishSeconds: v.LATCHKEY_SIGNING_KEY_PREPUBLISH ?? 86_400,
      signingKeyRotationSeconds: v.LATCHKEY_SIGNING_KEY_ROTATION ?? 90 * 86_400,
      signingAlg: v.LATCHKEY_ID_TOKEN_SIGNING_ALG ?? 'ES256',
      idTokenTtlSeconds: v.LATCHKEY_ID_TOKEN_TTL ?? 3600,
      jwtAccessTokenTtlSeconds: v.LATCHKEY_JWT_ACCESS_TOKEN_TTL ?? 300,
      jwtResources,
    },
  });
};
