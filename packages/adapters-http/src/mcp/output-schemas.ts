import { AUDIT_ACTIONS, AUDIT_RESOURCE_TYPES } from '@latchkey/domain';
import { APP_REQUIRED_FIELDS } from '../wire.js';

/**
 * JSON Schemas (draft 2020-12, the MCP default) of the tools' `structuredContent`
 * (docs/http-api.md#mcp). MCP requires an `outputSchema` to describe an object, so every result is
 * one. The user, app and audit-entry objects are the wire shapes of
 * docs/http-api.md#users-and-sessions, #apps and #audit-log; they stay open to new fields, so that
 * a field added on the wire does not make clients that validate results reject them. The envelopes
 * around them (`{apps}`, `{audit_logs, count}`, the revocation result) are closed.
 */
export interface ToolOutputSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required: readonly string[];
  readonly additionalProperties?: false;
}

const string = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

/** A user (docs/http-api.md#users-and-sessions). */
const userSchema: ToolOutputSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    email: string,
    username: string,
    name: string,
    role: { type: 'string', enum: ['owner', 'member'] },
    created_at: dateTime,
  },
  required: ['id', 'email', 'username', 'name', 'role', 'created_at'],
};

/** An app (docs/http-api.md#apps); `scope` only when one is registered. */
const appSchema = {
  type: 'object',
  properties: {
    id: string,
    name: string,
    callback_url: string,
    redirect_uris: { type: 'array', items: string },
    icon: string,
    client_type: { type: 'string', enum: ['confidential', 'public'] },
    dynamically_registered: { type: 'boolean' },
    grant_types: { type: 'array', items: string },
    scope: string,
    introspect_any: { type: 'boolean' },
    client_credentials_scope: string,
    endpoints: {
      type: 'object',
      properties: { authorization: string, token: string, device_authorization: string },
      required: ['authorization', 'token', 'device_authorization'],
    },
  },
  required: APP_REQUIRED_FIELDS,
} as const;

/** An audit entry (docs/http-api.md#audit-log); `actor_id` only when a user acted. */
const auditEntrySchema = {
  type: 'object',
  properties: {
    id: string,
    time: dateTime,
    action: { type: 'string', enum: AUDIT_ACTIONS },
    resource_type: { type: 'string', enum: AUDIT_RESOURCE_TYPES },
    resource_id: string,
    actor_id: string,
    ip: string,
    user_agent: string,
    status: { type: 'integer' },
    diff: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { old: {}, new: {} }, additionalProperties: false },
    },
  },
  required: ['id', 'time', 'action', 'resource_type', 'resource_id', 'ip', 'user_agent', 'status', 'diff'],
} as const;

const result = (
  properties: Readonly<Record<string, unknown>>,
  required: readonly string[] = Object.keys(properties),
): ToolOutputSchema => ({ type: 'object', properties, required, additionalProperties: false });

export const OUTPUT_SCHEMAS = {
  user: userSchema,
  apps: result({ apps: { type: 'array', items: appSchema } }),
  revoked: result({
    revoked: { type: 'boolean', const: true },
    client_id: string,
    current_token_revoked: {
      type: 'boolean',
      description:
        "Whether the token this session uses was one of those revoked (it was issued to that application): if so, the session's next request is refused.",
    },
  }),
  auditLog: result({
    audit_logs: { type: 'array', items: auditEntrySchema },
    count: { type: 'integer', minimum: 0, description: 'How many entries match, over all pages.' },
  }),
} as const;
