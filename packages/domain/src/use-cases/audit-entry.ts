import type { AuditAction, AuditDiff, AuditEntry, AuditResourceType, RequestMeta } from '../model/audit.js';
import type { UserId } from '../model/ids.js';
import type { Clock, Random } from '../ports/system.js';

export interface AuditFacts {
  readonly action: AuditAction;
  readonly resourceType: AuditResourceType;
  readonly resourceId: string;
  readonly actorId?: UserId | undefined;
  readonly status: number;
  readonly diff: AuditDiff;
}

/** Stamps an audit entry with an id, the time and where the request came from. */
export const auditEntry =
  (deps: { readonly clock: Clock; readonly random: Random }, meta: RequestMeta) =>
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
