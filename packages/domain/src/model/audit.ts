import type { AuditEntryId, UserId } from './ids.js';

/** @see docs/http-api.md#audit-log */
export type AuditAction = 'create' | 'write' | 'delete' | 'login' | 'logout' | 'revoke';
export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'create',
  'write',
  'delete',
  'login',
  'logout',
  'revoke',
];

export type AuditResourceType =
  'user' | 'api_key' | 'oauth2_provider_app' | 'oauth2_provider_app_secret' | 'oauth2_grant';
export const AUDIT_RESOURCE_TYPES: readonly AuditResourceType[] = [
  'user',
  'api_key',
  'oauth2_provider_app',
  'oauth2_provider_app_secret',
  'oauth2_grant',
];

export interface AuditChange {
  readonly old?: unknown;
  readonly new?: unknown;
}
export type AuditDiff = Readonly<Record<string, AuditChange>>;

export interface AuditEntry {
  readonly id: AuditEntryId;
  readonly time: Date;
  readonly action: AuditAction;
  readonly resourceType: AuditResourceType;
  readonly resourceId: string;
  readonly actorId?: UserId;
  readonly ip: string;
  readonly userAgent: string;
  readonly status: number;
  readonly diff: AuditDiff;
}

/** Where a request came from; every audited use case takes it. */
export interface RequestMeta {
  readonly ip: string;
  readonly userAgent: string;
}

export interface AuditQuery {
  readonly limit: number;
  readonly offset: number;
  readonly resourceType?: AuditResourceType;
  readonly action?: AuditAction;
  /** Only entries of this actor (the console's user filter, docs/http-api.md#web-console). */
  readonly actorId?: UserId;
}

/** Field names whose values are never written to an audit diff (docs/http-api.md#audit-log, #credentials-at-rest). */
const SECRET_FIELD = /(secret|password|hash|digest|token)/i;
export const REDACTED = '[redacted]';

/** Builds a diff of `{field: {old?, new?}}`, redacting secret material. */
export const auditDiff = (
  before: Readonly<Record<string, unknown>> | undefined,
  after: Readonly<Record<string, unknown>> | undefined,
): AuditDiff => {
  const fields = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  const diff: Record<string, AuditChange> = {};
  for (const field of fields) {
    const oldValue = before?.[field];
    const newValue = after?.[field];
    if (JSON.stringify(oldValue) === JSON.stringify(newValue)) continue;
    const redact = (v: unknown): unknown => (SECRET_FIELD.test(field) && v !== undefined ? REDACTED : v);
    diff[field] = {
      ...(oldValue === undefined || oldValue === null ? {} : { old: redact(oldValue) }),
      ...(newValue === undefined || newValue === null ? {} : { new: redact(newValue) }),
    };
  }
  return diff;
};
