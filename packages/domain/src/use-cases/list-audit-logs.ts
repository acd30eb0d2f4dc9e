import * as E from 'fp-ts/lib/Either.js';
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { AuditEntry, AuditQuery } from '../model/audit.js';
import type { Ports } from '../ports/index.js';
import { requireOwner } from './policy.js';
import { tryPort, type Outcome } from './support.js';

type AuditLogPage = { entries: AuditEntry[]; count: number };

/** Owners read the audit log, newest first (docs/http-api.md#audit-log). */
export const makeListAuditLogs = (deps: Pick<Ports, 'audit'>) => {
  const list = (principal: Principal, query: AuditQuery): Outcome<ApiError, AuditLogPage> => {
    const allowed = requireOwner(principal);
    return E.isLeft(allowed) ? Promise.resolve(allowed) : tryPort(() => deps.audit.list(query));
  };
  return (principal: Principal, query: AuditQuery): TE.TaskEither<ApiError, AuditLogPage> =>
    () =>
      list(principal, query);
};
