import type { ApiError } from '../errors/api-error.js';
import type { AuditAction, AuditDiff, AuditEntry, AuditResourceType, RequestMeta } from '../model/audit.js';
import type { UserId } from '../model/ids.js';
import type { Repositories } from '../ports/transactor.js';
import type { Clock, Random } from '../ports/system.js';
import { tryPort, type Outcome } from './support.js';

export interface AuditFacts {
  readonly action: AuditAction;
  readonly resourceType: AuditResourceType;
  readonly resourceId: string;
  readonly actorId?: UserId | undefined;
  readonly status: number;
  readonly diff: AuditDiff;
}

type AuditDeps = { readonly clock: Clock; readonly random: Random };

/** Stamps an audit entry with an id, the time and where the request came from. */
export const auditEntry =
  (deps: AuditDeps, meta: RequestMeta) =>
  (facts: AuditFacts): AuditEntry => ({
    id: deps.random.timeOrderedUuid() as AuditEntry['id'],
    time: deps.clock.now(),
    action: facts.action,
    resourceType: facts.resourceType,
    resourceId: facts.resourceId,
    ...(facts.actorId === undefined ? {} : { actorId: facts.actorId }),
    ip: meta.ip,
    userAgent: meta.userAgent,
    status: facts.status,
    diff: facts.diff,
  });

/** What an audited request did: the action and the resource it acted on. */
export type AuditSubject = Pick<AuditFacts, 'action' | 'resourceType' | 'resourceId'>;
/** Who did it (nobody for the server itself) and how it ended: the HTTP status and the change. */
export type AuditOutcome = Pick<AuditFacts, 'actorId' | 'status' | 'diff'>;

/** Appends an audit entry through `tx`, the caller's transaction (docs/http-api.md#audit-log). */
export const appendAudit =
  (tx: Pick<Repositories, 'audit'>, deps: AuditDeps, meta: RequestMeta) =>
  (subject: AuditSubject, outcome: AuditOutcome): Outcome<ApiError, void> =>
    tryPort(() => tx.audit.append(auditEntry(deps, meta)({ ...subject, ...outcome })));
