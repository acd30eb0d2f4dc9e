import { createHash } from 'node:crypto';
import Router from '@koa/router';
import { openApiDocument, type OpenApiSettings } from '../openapi/document.js';
import type { RequestState } from '../state.js';

/**
 * How long a client or cache may keep the document without asking again. It changes only with a
 * deployment, and the `ETag` makes asking again cheap (a 304).
 */
const MAX_AGE_SECONDS = 300;

/**
 * `GET /api/openapi.json` (docs/http-api.md#conventions): the OpenAPI 3.1 document, public,
 * built and serialised once at start-up, with a strong `ETag` over its bytes (RFC 9110 §8.8.3).
 */
export const openApiRoutes = (
  settings: OpenApiSettings,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const body = JSON.stringify(openApiDocument(settings));
  const etag = `"${createHash('sha256').update(body).digest('base64url')}"`;
  router.get('/api/openapi.json', (ctx) => {
    ctx.set('Cache-Control', `public, max-age=${MAX_AGE_SECONDS}`);
    ctx.set('ETag', etag);
    const presented = ctx.get('If-None-Match');
    // RFC 9110 §13.1.2: If-None-Match compares weakly, so a `W/` prefix does not matter.
    const tags = presented.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (tags.includes(etag) || tags.includes('*')) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/json; charset=utf-8';
    ctx.body = body;
  });
  return router;
};
