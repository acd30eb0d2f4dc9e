import type { Principal } from '@latchkey/domain';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import type { OutageLog } from './middleware/outage.js';

/** Per-request facts established by middleware. Not a service locator: only request data. */
export interface RequestState {
  requestId: string;
  clientIp: string;
  log: Logger;
  /** Where a 503 for an unavailable database is reported instead of being logged. */
  outage: OutageLog;
  principal?: Principal;
}

export type Ctx = ParameterizedContext<RequestState>;
