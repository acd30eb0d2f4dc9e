import type { UseCases } from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import type { Next } from 'koa';
import type { Ctx } from '../state.js';

const servesClients = (path: string): boolean => path.startsWith('/oauth2/') || path.startsWith('/api/');

/**
 * Before OAuth and API requests, deletes abandoned registrations when due (at most once a
 * minute), so a registration past its deadline is gone for the request that would use it
 * (docs/http-api.md#registration). A failure is logged and does not fail the request. When no purge is due (nearly
 * every request) this is one synchronous clock read.
 */
export const purgeAbandonedClients = (useCases: Pick<UseCases, 'abandonedClients'>) => {
  const purge = async (ctx: Ctx): Promise<void> => {
    const result = await useCases.abandonedClients.purgeIfDue()();
    if (E.isLeft(result) && result.left.status >= 500 && result.left.status !== 503) {
      ctx.state.log.warn({ err: result.left.cause }, 'purging abandoned clients failed');
    } else if (E.isRight(result) && result.right > 0) {
      ctx.state.log.info({ count: result.right }, 'deleted abandoned dynamically registered clients');
    }
  };
  return (ctx: Ctx, next: Next): Promise<unknown> =>
    useCases.abandonedClients.isDue() && servesClients(ctx.path) ? purge(ctx).then(() => next()) : next();
};
