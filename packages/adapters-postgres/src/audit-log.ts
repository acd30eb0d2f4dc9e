import type { AuditEntry, AuditLog, AuditQuery } from '@latchkey/domain';
import { AuditLogSchema } from './entities.js';
import type { Sql } from './gateway.js';
import { toAuditEntry, toAuditLogRow } from './mappers.js';

/** The filter of `query` as a `where` clause over `$1`…, and its values. */
const filterOf = (query: AuditQuery): { where: string; values: unknown[] } => {
  const conditions: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    values.push(value);
    conditions.push(`${column} = $${values.length}`);
  };
  add('resource_type', query.resourceType);
  add('action', query.action);
  add('actor_id', query.actorId);
  return { where: conditions.length === 0 ? '' : `where ${conditions.join(' and ')}`, values };
};

/**
 * The append-only audit trail in `audit_logs`. Entries are written through the transaction's
 * repositories, so each commits or rolls back with the change it records (docs/http-api.md#audit-log).
 *
 * @see docs/http-api.md#audit-log
 */
export class PostgresAuditLog implements AuditLog {
  constructor(private readonly sql: Sql) {}

  append(entry: AuditEntry): Promise<void> {
    return this.sql.insert(AuditLogSchema, toAuditLogRow(entry));
  }

  /** Newest first, ties broken by id, matching the index `audit_logs_time_id_idx`. */
  async list(query: AuditQuery): Promise<{ entries: AuditEntry[]; count: number }> {
    const { where, values } = filterOf(query);
    const page = values.length;
    const entries = await this.sql.entities(
      AuditLogSchema,
      {
        text: `select * from audit_logs ${where} order by time desc, id desc limit $${page + 1} offset $${page + 2}`,
      },
      [...values, query.limit, query.offset],
      toAuditEntry,
    );
    const [count = 0] = await this.sql.all(
      { text: `select count(*)::int as count from audit_logs ${where}` },
      values,
      (raw) => raw.count as number,
    );
    return { entries, count };
  }
}
