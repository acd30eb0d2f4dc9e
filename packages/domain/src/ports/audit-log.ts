import type { AuditEntry, AuditQuery } from '../model/audit.js';

/** Append-only audit trail; written in the transaction of the change it records (docs/http-api.md#audit-log). */
export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first; `count` is the total number matching the filter. */
  list(query: AuditQuery): Promise<{ entries: AuditEntry[]; count: number }>;
}
