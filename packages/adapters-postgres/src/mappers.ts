import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  Role,
  type ApiKey,
  type ApiKeyId,
  type ApiKeyKind,
  type AuditAction,
  type AuditDiff,
  type AuditEntry,
  type AuditEntryId,
  type AuditResourceType,
  type CredentialDigest,
  type Email,
  type StoredUser,
  type User,
  type UserId,
  type Username,
} from '@latchkey/domain';
import type { ApiKeyRow, AuditLogRow, UserRow } from './entities.js';

/*
 * Rows <-> domain values. Reading checks the closed vocabularies (role, kind, action, resource
 * type) instead of casting, so a row written by a newer version, or by hand, fails loudly here
 * rather than as a confusing error far away in a use case. The database enforces the rest.
 */

/** Thrown when a row holds a value the domain has no name for. */
export class UnexpectedRowError extends Error {
  override readonly name = 'UnexpectedRowError';
  constructor(table: string, column: string, value: unknown) {
    super(`${table}.${column} holds an unexpected value: ${JSON.stringify(value)}`);
  }
}

const oneOf = <T extends string>(allowed: readonly T[], table: string, column: string, value: string): T => {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UnexpectedRowError(table, column, value);
};

const API_KEY_KINDS: readonly ApiKeyKind[] = ['session', 'access'];
const ROLES: readonly Role[] = Object.keys(Role.keys) as Role[];

/** `undefined` in the domain is SQL `null`; MikroORM skips `undefined` properties on insert. */
const optional = <A>(value: A | null | undefined): A | undefined => value ?? undefined;

export const toUserRow = (user: User, passwordHash: string): UserRow => ({
  id: user.id,
  email: user.email,
  username: user.username,
  name: user.name,
  role: user.role,
  passwordHash,
  createdAt: user.createdAt,
});

export const toUser = (row: UserRow): User => ({
  id: row.id as UserId,
  email: row.email as Email,
  username: row.username as Username,
  name: row.name,
  role: oneOf(ROLES, 'users', 'role', row.role),
  createdAt: row.createdAt,
});

export const toStoredUser = (row: UserRow): StoredUser => ({
  user: toUser(row),
  passwordHash: row.passwordHash,
});

export const toApiKeyRow = (key: ApiKey): ApiKeyRow => ({
  id: key.id,
  kind: key.kind,
  digest: key.digest,
  userId: key.userId,
  scopes: [...key.scopes],
  audience: key.audience,
  clientId: key.clientId,
  grantId: key.grantId,
  createdAt: key.createdAt,
  expiresAt: key.expiresAt,
  revokedAt: key.revokedAt,
});

export const toApiKey = (row: ApiKeyRow): ApiKey => {
  const audience = optional(row.audience);
  const clientId = optional(row.clientId);
  const grantId = optional(row.grantId);
  const revokedAt = optional(row.revokedAt);
  return {
    id: row.id as ApiKeyId,
    kind: oneOf(API_KEY_KINDS, 'api_keys', 'kind', row.kind),
    digest: row.digest as CredentialDigest,
    userId: row.userId as UserId,
    scopes: row.scopes,
    ...(audience === undefined ? {} : { audience }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(grantId === undefined ? {} : { grantId }),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
};

export const toAuditLogRow = (entry: AuditEntry): AuditLogRow => ({
  id: entry.id,
  time: entry.time,
  action: entry.action,
  resourceType: entry.resourceType,
  resourceId: entry.resourceId,
  actorId: entry.actorId,
  ip: entry.ip,
  userAgent: entry.userAgent,
  status: entry.status,
  diff: { ...entry.diff },
});

export const toAuditEntry = (row: AuditLogRow): AuditEntry => {
  const actorId = optional(row.actorId);
  return {
    id: row.id as AuditEntryId,
    time: row.time,
    action: oneOf<AuditAction>(AUDIT_ACTIONS, 'audit_logs', 'action', row.action),
    resourceType: oneOf<AuditResourceType>(
      AUDIT_RESOURCE_TYPES,
      'audit_logs',
      'resource_type',
      row.resourceType,
    ),
    resourceId: row.resourceId,
    ...(actorId === undefined ? {} : { actorId: actorId as UserId }),
    ip: row.ip,
    userAgent: row.userAgent,
    status: row.status,
    diff: row.diff as AuditDiff,
  };
};
