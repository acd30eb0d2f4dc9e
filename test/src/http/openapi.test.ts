import { openApiDocument } from '@latchkey/adapters-http';
import type { Overrides } from '@latchkey/app';
import { BUILT_IN_SCOPES } from '@latchkey/domain';
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect } from 'chai';
import { OWNER, postJson, request, setUpOwner, startTestServer, type TestServer } from '../support/server.js';

type Middleware = NonNullable<Overrides['httpMiddleware']>[number];

/** A server whose answers `tamper` may change after the app made them, inside the OpenAPI check. */
const startTampered = (tamper: Middleware): Promise<TestServer> =>
  startTestServer({}, { httpMiddleware: [tamper] });

describe('The OpenAPI document (docs/http-api.md#conventions)', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(
      openApiDocument({
        issuer: 'https://auth.example.com',
        supportedScopes: [...BUILT_IN_SCOPES, 'files:read'],
      }),
    );
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).to.deep.equal([]);
    expect(result.valid).to.equal(true);
    expect(validator.version).to.equal('3.1');
  });

  context('served at GET /api/openapi.json', () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer({ LATCHKEY_EXTRA_SCOPES: 'files:read' });
    });
    after(() => server.stop());

    it('is the document in the repository, for this issuer and these scopes, without authentication', async () => {
      const response = await request(`${server.url}/api/openapi.json`);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^application\/json/);
      const expected = openApiDocument({
        issuer: server.url,
        supportedScopes: [...BUILT_IN_SCOPES, 'files:read'],
      });
      expect(response.body).to.deep.equal(JSON.parse(JSON.stringify(expected)));
    });

    it('may be cached, and is revalidated by its ETag', async () => {
      const first = await request(`${server.url}/api/openapi.json`);
      expect(first.headers.get('cache-control')).to.equal('public, max-age=300');
      const etag = first.headers.get('etag');
      expect(etag).to.match(/^"[A-Za-z0-9_-]{43}"$/);
      const again = await request(`${server.url}/api/openapi.json`, {
        headers: { 'If-None-Match': `W/${etag ?? ''}` },
      });
      expect(again.status).to.equal(304);
      expect(again.text).to.equal('');
      const stale = await request(`${server.url}/api/openapi.json`, {
        headers: { 'If-None-Match': '"other"' },
      });
      expect(stale.status).to.equal(200);
    });
  });

  it('lists exactly the routes the server has, whether a test calls them or not', async () => {
    interface Layer {
      readonly path: string;
      readonly methods: readonly string[];
    }
    // The app has two routers (machine-facing endpoints first, then the rest, createHttpApp):
    // a health check reaches the first, the home page the second.
    const stacks = new Set<readonly Layer[]>();
    const server = await startTampered(async (ctx, next) => {
      await next();
      // @koa/router puts itself on the context of every request it dispatches.
      const stack = (ctx as { router?: { stack?: readonly Layer[] } }).router?.stack;
      if (stack !== undefined) stacks.add(stack);
    });
    try {
      await request(`${server.url}/healthz`);
      await request(`${server.url}/`);
    } finally {
      await server.stop();
    }
    expect(stacks.size).to.equal(2);
    const routed = new Set(
      [...stacks]
        .flat()
        .flatMap((layer) =>
          layer.methods
            .filter((method) => method !== 'HEAD')
            .map((method) => `${method} ${layer.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`),
        ),
    );
    const paths = openApiDocument({ issuer: server.url, supportedScopes: BUILT_IN_SCOPES }).paths as Record<
      string,
      Record<string, unknown>
    >;
    // OPTIONS is answered by the CORS middleware (docs/http-api.md#cors), before any route.
    const documented = new Set(
      Object.entries(paths).flatMap(([path, item]) =>
        ['get', 'put', 'post', 'delete', 'patch']
          .filter((method) => item[method] !== undefined)
          .map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    expect(routed.size).to.be.greaterThan(20);
    expect([...routed].sort()).to.deep.equal([...documented].sort());
  });

  context('holding the server to it (the check every HTTP suite runs)', () => {
    let server: TestServer | undefined;
    afterEach(async () => {
      server?.openapi.take();
      await server?.stop();
      server = undefined;
    });

    /** The violations recorded so far, which the test then owns (they do not fail it). */
    const violations = (): string[] => server?.openapi.take() ?? [];

    it('reports an answer with a field the document does not have', async () => {
      server = await startTampered(async (ctx, next) => {
        await next();
        if (ctx.path === '/healthz') ctx.body = { status: 'ok', uptime: 12 };
      });
      const response = await request(`${server.url}/healthz`);
      expect(response.status).to.equal(200);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^GET \/healthz → 200: response body: /);
    });

    it('reports an answer without a required field', async () => {
      server = await startTampered(async (ctx, next) => {
        await next();
        if (ctx.path === '/api/v2/users/login' && ctx.status === 201) ctx.body = {};
      });
      await setUpOwner(server.url).catch(() => undefined);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^POST \/api\/v2\/users\/login → 201: response body: /);
    });

    it('reports a status the document does not list for the route', async () => {
      server = await startTampered(async (ctx, next) => {
        await next();
        if (ctx.path === '/readyz') ctx.status = 418;
      });
      expect((await request(`${server.url}/readyz`)).status).to.equal(418);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^GET \/readyz → 418: status 418 is not documented/);
    });

    it('reports a route the document does not list', async () => {
      server = await startTampered(async (ctx, next) => {
        if (ctx.path === '/api/v2/widgets') {
          ctx.body = { widgets: [] };
          return;
        }
        await next();
      });
      expect((await request(`${server.url}/api/v2/widgets`)).status).to.equal(200);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^GET \/api\/v2\/widgets → 200: /);
    });

    it('reports a method the document does not list for a known path', async () => {
      server = await startTampered(async (ctx, next) => {
        if (ctx.path === '/healthz' && ctx.method === 'POST') {
          ctx.body = { status: 'ok' };
          return;
        }
        await next();
      });
      expect((await request(`${server.url}/healthz`, { method: 'POST' })).status).to.equal(200);
      expect(violations()).to.have.length(1);
    });

    it('reports a content type the document does not give', async () => {
      server = await startTampered(async (ctx, next) => {
        await next();
        if (ctx.path !== '/healthz') return;
        ctx.type = 'text/plain';
        ctx.body = 'ok';
      });
      await request(`${server.url}/healthz`);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/response content type text\/plain is not documented/);
    });

    it('reports a missing required header', async () => {
      server = await startTampered(async (ctx, next) => {
        await next();
        if (ctx.path === '/oauth2/tokens') ctx.remove('Pragma');
      });
      const response = await request(`${server.url}/oauth2/tokens`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=refresh_token',
      });
      expect(response.status).to.be.within(400, 401);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/response header Pragma is missing/);
    });

    it('reports a request the document forbids when the server accepted it', async () => {
      // A server that took a first user without a password would break the document's request
      // schema: the answer is a well-formed user, so only the request check can see it.
      server = await startTampered(async (ctx, next) => {
        if (ctx.path === '/api/v2/users/first') {
          await next();
          if (ctx.status === 400) {
            ctx.status = 201;
            ctx.body = {
              id: '0193a5b2-7c1e-7d2a-9f3b-5e8c4d2a1b00',
              email: OWNER.email,
              username: OWNER.username,
              name: '',
              role: 'owner',
              created_at: new Date(0).toISOString(),
            };
          }
          return;
        }
        await next();
      });
      const response = await postJson(`${server.url}/api/v2/users/first`, {
        email: OWNER.email,
        username: OWNER.username,
      });
      expect(response.status).to.equal(201);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/^POST \/api\/v2\/users\/first → 201: request body: /);
    });

    it('reports an accepted request that lacks every documented credential', async () => {
      server = await startTampered(async (ctx, next) => {
        if (ctx.path === '/api/v2/users/me') {
          ctx.body = {
            id: '0193a5b2-7c1e-7d2a-9f3b-5e8c4d2a1b00',
            email: OWNER.email,
            username: OWNER.username,
            name: '',
            role: 'owner',
            created_at: new Date(0).toISOString(),
          };
          return;
        }
        await next();
      });
      expect((await request(`${server.url}/api/v2/users/me`)).status).to.equal(200);
      const found = violations();
      expect(found).to.have.length(1);
      expect(found[0]).to.match(/none of the documented credentials/);
    });

    it('does not report bad requests the server refuses as documented', async () => {
      server = await startTestServer();
      const malformed = await postJson(`${server.url}/api/v2/users/login`, '{"email":');
      expect(malformed.status).to.equal(400);
      const wrongType = await request(`${server.url}/api/v2/users/first`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/plain' },
        body: '{}',
      });
      expect(wrongType.status).to.equal(415);
      const missing = await postJson(`${server.url}/api/v2/users/first`, { email: 'x' });
      expect(missing.status).to.equal(400);
      const unknown = await request(`${server.url}/api/v2/nothing-here`);
      expect(unknown.status).to.equal(404);
      const page = await request(`${server.url}/nothing-here`, { headers: { Accept: 'text/html' } });
      expect(page.status).to.equal(404);
      const unauthenticated = await request(`${server.url}/api/v2/users`);
      expect(unauthenticated.status).to.equal(401);
      // The router takes one trailing slash as no slash; so does the check.
      const slash = await request(`${server.url}/healthz/`);
      expect(slash.status).to.equal(200);
      expect(violations()).to.deep.equal([]);
    });
  });
});
