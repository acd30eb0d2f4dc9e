import type { Principal } from '@latchkey/domain';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';

/** Per-request facts established by middleware. Not a service locator: only request data. */
export interface RequestState {
  requestId: string;
  clientIp: string;
  log: Logger;
  principal?: Principal;
}

export type Ctx = ParameterizedContext<RequestState>;
