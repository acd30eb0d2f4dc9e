import type { AuditEntry, AuditLog, AuditQuery } from '@latchkey/domain';
import type { QBFilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { AuditLogSchema, type AuditLogRow } from './entities.js';
import { toAuditEntry, toAuditLogRow } from './mappers.js';
import { guarded } from './storage-errors.js';

const filterOf = (query: AuditQuery): QBFilterQuery<AuditLogRow> => ({
  ...(query.resourceType === undefined ? {} : { resourceType: query.resourceType }),
  ...(query.action === undefined ? {} : { action: query.action }),
});

/**
 * The append-only audit trail in `audit_logs`. Entries are written through the transaction's
 * repositories, so each commits or rolls back with the change it records (docs/http-api.md#audit-log).
 *
 * @see docs/http-api.md#audit-log
 */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly em: EntityManager) {}

  append(entry: AuditEntry): Promise<void> {
    return guarded(async () => {
      await this.em.insert(AuditLogSchema, toAuditLogRow(entry));
    });
  }

  /** Newest first, ties broken by id, matching the index `audit_logs_time_id_idx`. */
  list(query: AuditQuery): Promise<{ entries: AuditEntry[]; count: number }> {
    const where = filterOf(query);
    return guarded(async () => {
      const rows = await this.em
        .createQueryBuilder(AuditLogSchema)
        .select('*')
        .where(where)
        .orderBy([{ time: 'desc' }, { id: 'desc' }])
        .limit(query.limit)
        .offset(query.offset)
        .execute<AuditLogRow[]>('all');
      const count = await this.em.createQueryBuilder(AuditLogSchema).where(where).getCount();
      return { entries: rows.map(toAuditEntry), count };
    });
  }
}
