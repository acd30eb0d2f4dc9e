import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RateLimiter, RequestObserver } from '@latchkey/adapters-http';
import type { PoolUse, StatementObserver } from '@latchkey/adapters-postgres';
import type { CredentialReplay, OAuthErrorCode, TokenGrant } from '@latchkey/domain';
import { collectDefaultMetrics, Counter, Gauge, Histogram, type LabelValues, Registry } from 'prom-client';

/*
 * Prometheus metrics (docs/metrics.md): one registry per running server, so that several servers
 * in one process (the test suites) keep their counts apart, served on a listener of their own
 * (`LATCHKEY_METRICS_ADDRESS`), never on the public one. Every label value comes from a fixed
 * list: route templates, methods, statuses, grant types, OAuth error codes, limiter and statement
 * names. No client id, user id, token or raw path is ever a label.
 */

/** Request latency buckets, in seconds: a token request takes about a millisecond, a login with scrypt about 100. */
const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Statement latency buckets, in seconds: a prepared lookup takes a fraction of a millisecond. */
const STATEMENT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The `route` label of a request no route matched: never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The methods the routes serve; any other is counted as `other`. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Every OAuth error code (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7591 §3.2.2, RFC 8707 §2), so each series starts at 0. */
const OAUTH_ERROR_CODES: Record<OAuthErrorCode, true> = {
  invalid_request: true,
  invalid_client: true,
  invalid_grant: true,
  unauthorized_client: true,
  unsupported_grant_type: true,
  unsupported_response_type: true,
  invalid_scope: true,
  invalid_target: true,
  access_denied: true,
  login_required: true,
  consent_required: true,
  request_not_supported: true,
  request_uri_not_supported: true,
  invalid_token: true,
  invalid_client_metadata: true,
  invalid_redirect_uri: true,
  temporarily_unavailable: true,
  server_error: true,
};
const GRANT_TYPES: Record<TokenGrant['grantType'], true> = {
  authorization_code: true,
  refresh_token: true,
  client_credentials: true,
};
const REPLAYS: Record<CredentialReplay, true> = { authorization_code: true, refresh_token: true };
const LIMITERS: Record<RateLimiter, true> = { login: true, token: true, registration: true };

/** The storage's gateway, where it has one (PostgreSQL). */
export interface ObservableDatabase {
  observe(observer: StatementObserver): () => void;
  poolUse(): PoolUse;
}

export interface Metrics {
  readonly registry: Registry;
  /** For the HTTP adapter: every answered request (`HttpConfig.observeRequest`). */
  readonly observeRequest: RequestObserver;
  /**
   * Measures the statements of `database` and reports its pool's use at each scrape, until the
   * returned function is called.
   */
  watchDatabase(database: ObservableDatabase): () => void;
}

const labelOf = (status: number): string => String(status);

/**
 * A metric's children by a key of their label values, each made (by `make`) once, so that the hot
 * path hashes no label object.
 */
const childrenByKey = <Child>() => {
  const children = new Map<string, Child>();
  return (key: string, make: () => Child): Child => {
    let child = children.get(key);
    if (child === undefined) {
      child = make();
      children.set(key, child);
    }
    return child;
  };
};

/** The registry of one running server, with Node's process metrics and Latchkey's own. */
export const createMetrics = (): Metrics => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'HTTP requests by route template, method and status, and the time taken to answer them.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: REQUEST_BUCKETS,
    registers,
  });
  /** A counter by `label`, whose series start at 0 for each of `values`. */
  const counterBy = <Label extends string>(
    name: string,
    help: string,
    label: Label,
    values: Record<string, true>,
  ): Counter<Label> => {
    const counter = new Counter({ name, help, labelNames: [label], registers });
    for (const value of Object.keys(values)) counter.inc({ [label]: value } as LabelValues<Label>, 0);
    return counter;
  };
  const tokens = counterBy(
    'latchkey_oauth_tokens_issued_total',
    'Token responses issued by the token endpoint, by grant type.',
    'grant_type',
    GRANT_TYPES,
  );
  const refusals = counterBy(
    'latchkey_oauth_errors_total',
    'OAuth error responses, by error code.',
    'error',
    OAUTH_ERROR_CODES,
  );
  const replays = counterBy(
    'latchkey_oauth_replays_total',
    'Used authorization codes and rotated refresh tokens presented again (each revokes its grant).',
    'credential',
    REPLAYS,
  );
  const limited = counterBy(
    'latchkey_rate_limited_total',
    'Requests refused by a rate limit, by limit.',
    'limiter',
    LIMITERS,
  );
  const registrations = new Counter({
    name: 'latchkey_client_registrations_total',
    help: 'Clients registered through dynamic client registration (RFC 7591).',
    registers,
  });
  registrations.inc(0);

  const requestSeries = childrenByKey<Histogram.Internal<'route' | 'method' | 'status'>>();
  const observeRequest: RequestObserver = (route, method, status, seconds, outcome) => {
    const routeLabel = route ?? UNMATCHED_ROUTE;
    const methodLabel = METHODS.has(method) ? method : 'other';
    requestSeries(`${routeLabel} ${methodLabel} ${status}`, () =>
      requests.labels(routeLabel, methodLabel, labelOf(status)),
    ).observe(seconds);
    if (outcome.issuedGrant !== undefined) tokens.inc({ grant_type: outcome.issuedGrant });
    if (outcome.oauthError !== undefined) refusals.inc({ error: outcome.oauthError });
    if (outcome.replay !== undefined) replays.inc({ credential: outcome.replay });
    if (outcome.rateLimitedBy !== undefined) limited.inc({ limiter: outcome.rateLimitedBy });
    if (outcome.registeredClient === true) registrations.inc();
  };

  const watchDatabase = (database: ObservableDatabase): (() => void) => {
    const statements = new Histogram({
      name: 'latchkey_db_statement_duration_seconds',
      help: 'SQL statements, by prepared statement name (unnamed: "unnamed") and result, and the time each took.',
      labelNames: ['statement', 'result'] as const,
      buckets: STATEMENT_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'latchkey_db_pool_connections',
      help: 'Connections of the database pool, by state (in_use, idle).',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const use = database.poolUse();
        this.set({ state: 'in_use' }, use.inUse);
        this.set({ state: 'idle' }, use.idle);
      },
    });
    new Gauge({
      name: 'latchkey_db_pool_waiting',
      help: 'Calls waiting for a connection of the database pool.',
      registers,
      collect() {
        this.set(database.poolUse().waiting);
      },
    });
    const statementSeries = childrenByKey<Histogram.Internal<'statement' | 'result'>>();
    return database.observe((name, seconds, failed) => {
      statementSeries(`${name ?? ''} ${failed}`, () =>
        statements.labels(name ?? 'unnamed', failed ? 'error' : 'ok'),
      ).observe(seconds);
    });
  };

  return { registry, observeRequest, watchDatabase };
};

export interface MetricsEndpoint {
  /** `http://host:port` of the listener. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (the Prometheus text format) and nothing else on `host:port`. A failure
 * to listen names `LATCHKEY_METRICS_ADDRESS`.
 */
export const serveMetrics = async (
  registry: Registry,
  host: string,
  port: number,
): Promise<MetricsEndpoint> => {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Metrics unavailable.\n');
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    const refused = (error: Error): void => {
      reject(new Error(`LATCHKEY_METRICS_ADDRESS: cannot listen on ${host}:${port} (${error.message})`));
    };
    server.once('error', refused);
    server.listen(port, host, () => {
      server.off('error', refused);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
};
