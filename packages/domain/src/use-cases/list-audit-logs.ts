import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import type { ApiError } from '../errors/api-error.js';
import type { Principal } from '../model/api-key.js';
import type { AuditEntry, AuditQuery } from '../model/audit.js';
import type { Ports } from '../ports/index.js';
import { requireOwner } from './policy.js';
import { decide, fromPort } from './support.js';

/** Owners read the audit log, newest first (docs/http-api.md#audit-log). */
export const makeListAuditLogs =
  (deps: Pick<Ports, 'audit'>) =>
  (
    principal: Principal,
    query: AuditQuery,
  ): TE.TaskEither<ApiError, { entries: AuditEntry[]; count: number }> =>
    pipe(
      decide(requireOwner(principal)),
      TE.flatMap(() => fromPort(() => deps.audit.list(query))),
    );
