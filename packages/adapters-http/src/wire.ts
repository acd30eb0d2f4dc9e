import type { AuditEntry, User } from '@latchkey/domain';

/** RFC 3339 UTC (CONTRACT §2). */
export const timestamp = (date: Date): string => date.toISOString();

/** A user on the wire (CONTRACT §3); passwords and hashes never leave. */
export interface WireUser {
  readonly id: string;
  readonly email: string;
  readonly username: string;
  readonly name: string;
  readonly role: string;
  readonly created_at: string;
}

export const wireUser = (user: User): WireUser => ({
  id: user.id,
  email: user.email,
  username: user.username,
  name: user.name,
  role: user.role,
  created_at: timestamp(user.createdAt),
});

/** An audit entry on the wire (CONTRACT §10). */
export const wireAuditEntry = (entry: AuditEntry): Record<string, unknown> => ({
  id: entry.id,
  time: timestamp(entry.time),
  action: entry.action,
  resource_type: entry.resourceType,
  resource_id: entry.resourceId,
  ...(entry.actorId === undefined ? {} : { actor_id: entry.actorId }),
  ip: entry.ip,
  user_agent: entry.userAgent,
  status: entry.status,
  diff: entry.diff,
});
