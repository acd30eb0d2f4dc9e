import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { AuditEntry, AuditQuery } from '../model/audit.js';
import type { Ports } from '../ports/index.js';
import { requireOwner } from './policy.js';
import { asTask, tryPort, whenAllowed, type Outcome } from './support.js';

type AuditLogPage = { entries: AuditEntry[]; count: number };

/** Owners read the audit log, newest first (docs/http-api.md#audit-log). */
export const makeListAuditLogs = (deps: Pick<Ports, 'audit'>) => {
  const list = (principal: Principal, query: AuditQuery): Outcome<ApiError, AuditLogPage> =>
    whenAllowed(requireOwner(principal), () => tryPort(() => deps.audit.list(query)));
  return asTask(list);
};
