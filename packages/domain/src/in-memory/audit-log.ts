import type { AuditEntry, AuditQuery } from '../model/audit.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { InMemoryDatabase, Journal } from './database.js';

export class InMemoryAuditLog implements AuditLog {
  constructor(
    private readonly db: InMemoryDatabase,
    private readonly journal?: Journal,
  ) {}

  append(entry: AuditEntry): Promise<void> {
    this.db.auditEntries.push(entry);
    this.journal?.push(() => {
      const at = this.db.auditEntries.lastIndexOf(entry);
      if (at >= 0) this.db.auditEntries.splice(at, 1);
    });
    return Promise.resolve();
  }

  list(query: AuditQuery): Promise<{ entries: AuditEntry[]; count: number }> {
    const matching = this.db.auditEntries
      .filter((e) => query.resourceType === undefined || e.resourceType === query.resourceType)
      .filter((e) => query.action === undefined || e.action === query.action)
      .filter((e) => query.actorId === undefined || e.actorId === query.actorId)
      .sort((a, b) => b.time.getTime() - a.time.getTime() || (b.id < a.id ? -1 : b.id > a.id ? 1 : 0));
    return Promise.resolve({
      entries: matching.slice(query.offset, query.offset + query.limit),
      count: matching.length,
    });
  }
}
