import helmet from 'koa-helmet';
import type { Next } from 'koa';
import type { Ctx } from '../state.js';

/**
 * Security headers on every answer (CONTRACT §2): no framing, no referrer, a tight CSP.
 * `form-action` is left out on purpose: Chrome applies it to the redirect after the consent POST.
 */
export const securityHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'https:', 'data:'],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
  },
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false,
  crossOriginResourcePolicy: false,
});

/** Every `/oauth2/*` answer, errors included, is uncacheable (CONTRACT §2). */
export const noStoreForOAuth = async (ctx: Ctx, next: Next): Promise<void> => {
  if (ctx.path.startsWith('/oauth2/')) {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
  }
  await next();
};
