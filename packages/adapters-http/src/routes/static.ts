import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Router from '@koa/router';
import type { RequestState } from '../state.js';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  /** A digest of the content: the `v` query of the asset's URL and its ETag. */
  readonly version: string;
}

const load = (name: string, type: string): Asset => {
  const body = readFileSync(new URL(`../../static/${name}`, import.meta.url));
  return { body, type, version: createHash('sha256').update(body).digest('base64url').slice(0, 16) };
};

/**
 * The console's only static files (docs/http-api.md#web-console): one stylesheet and one script,
 * read once at start-up. Pages link them with their content digest in the query, so a cached
 * copy is never stale: such a URL may be cached for a year; any other asks again every time.
 */
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['console.css', load('console.css', 'text/css; charset=utf-8')],
  ['console.js', load('console.js', 'text/javascript; charset=utf-8')],
]);

/** The URL a page links an asset by, versioned by its content. */
export const assetUrl = (name: 'console.css' | 'console.js'): string =>
  `/static/${name}?v=${ASSETS.get(name)?.version ?? ''}`;

export const staticRoutes = (router = new Router<RequestState>()): Router<RequestState> => {
  router.get('/static/:file', (ctx) => {
    const asset = ASSETS.get(ctx.params.file ?? '');
    if (asset === undefined) return;
    ctx.set('ETag', `"${asset.version}"`);
    ctx.set(
      'Cache-Control',
      ctx.query.v === asset.version ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    ctx.type = asset.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  });
  return router;
};
