import type { Principal } from '@latchkey/domain';
import type { ParameterizedContext } from 'koa';
import type { Logger } from 'pino';
import type { OutageLog } from './middleware/outage.js';
import type { RequestOutcome } from './observer.js';

/** Per-request facts established by middleware. Not a service locator: only request data. */
export interface RequestState extends RequestOutcome {
  requestId: string;
  clientIp: string;
  log: Logger;
  /** Where a 503 for an unavailable database is reported instead of being logged. */
  outage: OutageLog;
  principal?: Principal;
  /**
   * The OAuth client the request names, once a route has read it as a well-formed client id: a
   * public identifier, logged with the request (docs/metrics.md#request-logs).
   */
  clientId?: string;
}

export type Ctx = ParameterizedContext<RequestState>;

declare module 'koa' {
  interface Request {
    /** The request body once a body reader (middleware/body.ts) has read it; `undefined` before. */
    body?: unknown;
  }
}
