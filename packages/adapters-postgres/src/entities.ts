import { EntitySchema } from '@mikro-orm/core';

/*
 * Persistence shapes, one per table. They are deliberately not the domain types: ORM metadata on
 * domain types is an anti-pattern here (ARCHITECTURE, "Anti-patterns to avoid"), so `mappers.ts`
 * translates between the two. The tables are created by the hand-written migrations in
 * `migrations/`; these schemas only tell MikroORM how to read and write them, which is why every
 * multi-word column name is spelled out rather than left to a naming strategy.
 */

export interface UserRow {
  id: string;
  email: string;
  username: string;
  name: string;
  role: string;
  passwordHash: string;
  createdAt: Date;
}

export const UserSchema = new EntitySchema<UserRow>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    email: { type: 'text' },
    username: { type: 'text' },
    name: { type: 'text' },
    role: { type: 'text' },
    passwordHash: { type: 'text', fieldName: 'password_hash' },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
  },
});

export interface ApiKeyRow {
  id: string;
  kind: string;
  digest: string;
  userId: string;
  scopes: string[];
  audience?: string | null;
  clientId?: string | null;
  grantId?: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date | null;
}

export const ApiKeySchema = new EntitySchema<ApiKeyRow>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: { type: 'uuid', primary: true },
    kind: { type: 'text' },
    digest: { type: 'text' },
    userId: { type: 'uuid', fieldName: 'user_id' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    audience: { type: 'text', nullable: true },
    clientId: { type: 'text', fieldName: 'client_id', nullable: true },
    grantId: { type: 'text', fieldName: 'grant_id', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
    revokedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'revoked_at', nullable: true },
  },
});

export interface AuditLogRow {
  id: string;
  time: Date;
  action: string;
  resourceType: string;
  resourceId: string;
  actorId?: string | null;
  ip: string;
  userAgent: string;
  status: number;
  diff: Record<string, unknown>;
}

export const AuditLogSchema = new EntitySchema<AuditLogRow>({
  name: 'AuditLog',
  tableName: 'audit_logs',
  properties: {
    id: { type: 'uuid', primary: true },
    time: { type: 'Date', columnType: 'timestamptz' },
    action: { type: 'text' },
    resourceType: { type: 'text', fieldName: 'resource_type' },
    resourceId: { type: 'text', fieldName: 'resource_id' },
    actorId: { type: 'uuid', fieldName: 'actor_id', nullable: true },
    ip: { type: 'text' },
    userAgent: { type: 'text', fieldName: 'user_agent' },
    status: { type: 'integer' },
    diff: { type: 'json', columnType: 'jsonb' },
  },
});

export const ENTITY_SCHEMAS = [UserSchema, ApiKeySchema, AuditLogSchema];
