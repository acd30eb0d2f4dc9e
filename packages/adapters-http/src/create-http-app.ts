import { MCP_PATH, type UseCases } from '@latchkey/domain';
import Router from '@koa/router';
import Koa from 'koa';
import type { HttpConfig } from './config.js';
import { localKnownPairs, LoginLimiter, sharedKnownPairs } from './middleware/login-limiter.js';
import { budgetFactory } from './middleware/rate-limit.js';
import { edge } from './middleware/edge.js';
import { OutageLog } from './middleware/outage.js';
import { appRoutes } from './routes/apps.js';
import { mcpRoutes } from './routes/mcp.js';
import { metadataRoutes } from './routes/metadata.js';
import { openApiRoutes } from './routes/openapi.js';
import { oauthRoutes } from './routes/oauth.js';
import { registrationRoutes } from './routes/registration.js';
import { consoleRoutes } from './routes/console.js';
import { healthRoutes, pageRoutes, renderPage } from './routes/pages.js';
import { staticRoutes } from './routes/static.js';
import { messagePage } from './views/pages.js';
import { userRoutes } from './routes/users.js';
import type { RequestState } from './state.js';

/**
 * The Koa application for Latchkey's HTTP contract. It receives plain use-case functions and
 * knows nothing of storage or of the container that built them.
 */
export const createHttpApp = (useCases: UseCases, config: HttpConfig): Koa<RequestState> => {
  const app = new Koa<RequestState>();
  app.silent = true;
  const budgets = budgetFactory(config.clock, config.rateLimitCounters);
  const limiter = new LoginLimiter(
    config.loginRateLimitPerMinute,
    budgets,
    config.rateLimitCounters === undefined ? localKnownPairs() : sharedKnownPairs(budgets),
  );

  for (const middleware of config.outerMiddleware ?? []) app.use(middleware);
  app.use(
    edge({
      logger: config.logger,
      trustProxy: config.trustProxy,
      outage: new OutageLog(config.logger, () => useCases.ping()),
      observe: config.observeRequest,
      mcpPath: MCP_PATH,
    }),
  );

  // Two routers, tried in turn: the endpoints clients call unattended and often (health, users
  // and sessions, metadata, OAuth, registration) first, then the rest (apps, the OpenAPI
  // document, MCP, the pages and the console). A router tests a request against each of its
  // routes, so the frequent requests are matched among half of them.
  // RFC 3986 §6.2.2.1: paths are case-sensitive. The header policy (no-store on /oauth2/*) and
  // CORS compare paths exactly, so a case-variant path must not reach a route either.
  const machine = new Router<RequestState>({ sensitive: true });
  healthRoutes(useCases, machine);
  userRoutes(useCases, config, limiter, machine);
  metadataRoutes(
    {
      issuer: config.issuer,
      supportedScopes: config.supportedScopes,
      registrationEnabled: config.registrationEnabled,
      clientIdMetadataDocumentsEnabled: config.metadataDocuments.enabled,
      oidc: config.oidc,
    },
    machine,
  );
  oauthRoutes(useCases, config, machine);
  registrationRoutes(useCases, config, budgets, machine);
  app.use(machine.routes());

  const router = new Router<RequestState>({ sensitive: true });
  appRoutes(useCases, config, router);
  openApiRoutes({ issuer: config.issuer, supportedScopes: config.supportedScopes }, router);
  mcpRoutes(useCases, config, router);
  pageRoutes(useCases, config, limiter, router);
  consoleRoutes(useCases, config, router);
  staticRoutes(router);
  app.use(router.routes());

  // Unknown routes: a browser (it prefers text/html to JSON) gets a page, every other client the
  // API error (docs/http-api.md#conventions).
  app.use((ctx) => {
    if (ctx.body !== undefined || ctx.status !== 404) return;
    if (ctx.accepts('json', 'html') === 'html') {
      renderPage(
        ctx,
        404,
        messagePage('Page not found', 'There is no page at this address.', { href: '/', text: 'Home' }),
      );
      return;
    }
    ctx.status = 404;
    ctx.body = { message: 'Route not found.' };
  });
  return app;
};
