import {
  AUDIT_ACTIONS,
  AUDIT_RESOURCE_TYPES,
  SCOPE_ALL,
  SCOPE_MCP,
  Uuid,
  type ApiError,
  checkClientIdUrl,
  type Principal,
  type RequestMeta,
  type UseCases,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { wireApp, wireAuditEntry, wireUser } from '../wire.js';
import { OUTPUT_SCHEMAS, type ToolOutputSchema } from './output-schemas.js';

export type { ToolOutputSchema } from './output-schemas.js';

/** A JSON Schema for a tool's arguments (MCP tools/list `inputSchema`). */
export interface ToolInputSchema {
  readonly type: 'object';
  readonly properties: Readonly<Record<string, unknown>>;
  readonly required?: readonly string[];
  readonly additionalProperties: false;
}

/** Why a tool call failed, in words a model can act on. */
export interface ToolFailure {
  readonly message: string;
}

/**
 * MCP tool annotations (MCP 2025-06-18 and later, `ToolAnnotations`): hints a host uses to decide
 * whether to ask the user before a call. All four are set on every tool.
 */
export interface ToolAnnotations {
  /** Changes nothing. */
  readonly readOnlyHint: boolean;
  /** May undo or end something (meaningful when not read-only). */
  readonly destructiveHint: boolean;
  /** Calling it again with the same arguments has no further effect. */
  readonly idempotentHint: boolean;
  /** Reaches beyond Latchkey's own data. */
  readonly openWorldHint: boolean;
}

/** A tool's result: MCP `structuredContent` is a JSON object, described by the tool's `outputSchema`. */
export type ToolResult = Readonly<Record<string, unknown>>;

/**
 * One MCP tool, built on the domain's use cases so that any transport (Streamable HTTP, stdio)
 * can serve it (docs/http-api.md#mcp).
 */
export interface Tool {
  readonly name: string;
  /** A short human-readable name for hosts' user interfaces. */
  readonly title: string;
  readonly description: string;
  /** A sentence added to the description for this caller, when there is one to say. */
  readonly noteFor?: (principal: Principal) => string | undefined;
  /** What the server's `instructions` say about the tool, for callers who may use it. */
  readonly instruction: string;
  readonly inputSchema: ToolInputSchema;
  readonly outputSchema: ToolOutputSchema;
  readonly annotations: ToolAnnotations;
  /** Whether the caller may see and call it. */
  readonly availableTo: (principal: Principal) => boolean;
  readonly call: (
    principal: Principal,
    args: Readonly<Record<string, unknown>>,
    meta: RequestMeta,
  ) => TE.TaskEither<ToolFailure, ToolResult>;
}

/** Reads Latchkey's own data and changes nothing. */
const READS: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

/** Whether the token in hand was issued to `clientId` (a session token belongs to no application). */
const tokenIssuedTo = (principal: Principal, clientId: string): boolean =>
  principal.kind === 'access' && principal.clientId === clientId;

const isOwnerWithAll = (principal: Principal): boolean =>
  principal.user.role === 'owner' && principal.scopes.includes(SCOPE_ALL);

const hasMcp = (principal: Principal): boolean =>
  principal.scopes.includes(SCOPE_MCP) || principal.scopes.includes(SCOPE_ALL);

const failure = (error: ApiError): ToolFailure => ({
  message:
    error.validations === undefined
      ? error.message
      : `${error.message} ${error.validations.map((v) => `${v.field} ${v.detail}`).join('; ')}`,
});

const noArguments: ToolInputSchema = { type: 'object', properties: {}, additionalProperties: false };

/** Reads an optional integer argument within bounds. */
const integerArg = (
  args: Readonly<Record<string, unknown>>,
  name: string,
  fallback: number,
  min: number,
  max: number,
): E.Either<ToolFailure, number> => {
  const value = args[name];
  if (value === undefined) return E.right(fallback);
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? E.right(value)
    : E.left({ message: `${name} must be an integer from ${min} to ${max}.` });
};

/** `limit` (1–500, `defaultLimit` when absent) and `offset` of a listing tool. */
const pageArgs = (
  args: Readonly<Record<string, unknown>>,
  defaultLimit: number,
): E.Either<ToolFailure, { readonly limit: number; readonly offset: number }> =>
  pipe(
    E.Do,
    E.bind('limit', () => integerArg(args, 'limit', defaultLimit, 1, 500)),
    E.bind('offset', () => integerArg(args, 'offset', 0, 0, 1_000_000)),
  );

const enumArg = <T extends string>(
  args: Readonly<Record<string, unknown>>,
  name: string,
  allowed: readonly T[],
): E.Either<ToolFailure, T | undefined> => {
  const value = args[name];
  if (value === undefined) return E.right(undefined);
  return typeof value === 'string' && (allowed as readonly string[]).includes(value)
    ? E.right(value as T)
    : E.left({ message: `${name} must be one of: ${allowed.join(', ')}.` });
};

/** The tools of docs/http-api.md#mcp, acting as the token's user. */
export const makeTools = (useCases: UseCases, issuer: string): readonly Tool[] => [
  {
    name: 'latchkey_get_authenticated_user',
    title: 'Who is signed in',
    description:
      'Returns the Latchkey user this session acts for: id, email, username, display name, role (owner or member) and creation time. Use it to find out who is signed in.',
    instruction: 'see who the signed-in user is (latchkey_get_authenticated_user)',
    inputSchema: noArguments,
    outputSchema: OUTPUT_SCHEMAS.user,
    annotations: READS,
    availableTo: hasMcp,
    call: (principal) => TE.right({ ...wireUser(principal.user) }),
  },
  {
    name: 'latchkey_list_authorized_apps',
    title: 'List my authorized apps',
    description:
      'Lists the OAuth2 applications the signed-in user has currently authorized (has live grants for), with their client ids, names and redirect URIs. Use it before revoking access.',
    instruction: 'list the applications that user has authorized (latchkey_list_authorized_apps)',
    inputSchema: noArguments,
    outputSchema: OUTPUT_SCHEMAS.apps,
    annotations: READS,
    availableTo: hasMcp,
    call: (principal) =>
      pipe(
        useCases.listAuthorizedApps(principal),
        TE.map((apps) => ({ apps: apps.map((app) => wireApp(app, issuer)) })),
        TE.mapError(failure),
      ),
  },
  {
    name: 'latchkey_revoke_app_access',
    title: "Revoke an app's access",
    description:
      "Revokes every grant the signed-in user gave one OAuth2 application: its authorization codes, access tokens and refresh tokens stop working at once. Takes the application's client_id (see latchkey_list_authorized_apps). Revoking the application this session's token was issued to revokes that token too: the call still answers, and every later request of this session is refused until the user authorizes again.",
    noteFor: (principal) =>
      principal.kind === 'access' && principal.clientId !== undefined
        ? `This session's token was issued to client_id ${principal.clientId}: revoking that application ends this session.`
        : undefined,
    instruction: 'revoke the access of one of those applications (latchkey_revoke_app_access)',
    outputSchema: OUTPUT_SCHEMAS.revoked,
    // It ends access that only the user can give back by authorizing again; a second call finds
    // nothing left to revoke and records nothing.
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    inputSchema: {
      type: 'object',
      properties: {
        client_id: {
          type: 'string',
          description:
            'The client_id of the application to revoke: a UUID, or the URL of a client ID metadata document.',
        },
      },
      required: ['client_id'],
      additionalProperties: false,
    },
    availableTo: hasMcp,
    call: (principal, args, meta) => {
      const clientId = args.client_id;
      const isUrl = typeof clientId === 'string' && E.isRight(checkClientIdUrl(clientId));
      if (typeof clientId !== 'string' || (!Uuid.is(clientId) && !isUrl)) {
        return TE.left({
          message: 'client_id must be the UUID of an application, or a metadata document URL.',
        });
      }
      const requested = isUrl ? clientId : clientId.toLowerCase();
      return pipe(
        useCases.revokeUserGrantsForClient(principal, requested, meta, SCOPE_MCP),
        TE.map((revokedId) => ({
          revoked: true,
          client_id: requested,
          current_token_revoked: tokenIssuedTo(principal, revokedId),
        })),
        TE.mapError(failure),
      );
    },
  },
  {
    name: 'latchkey_list_oauth2_apps',
    title: 'List all OAuth2 apps',
    description:
      'Owners only. Lists every OAuth2 application registered on this Latchkey server (owner-created and dynamically registered), ordered by name, with paging.',
    instruction: 'list every application registered on this server (latchkey_list_oauth2_apps)',
    outputSchema: OUTPUT_SCHEMAS.apps,
    annotations: READS,
    inputSchema: {
      type: 'object',
      properties: {
        limit: {
          type: 'integer',
          minimum: 1,
          maximum: 500,
          default: 100,
          description: 'How many apps to return.',
        },
        offset: { type: 'integer', minimum: 0, default: 0, description: 'How many apps to skip.' },
      },
      additionalProperties: false,
    },
    availableTo: isOwnerWithAll,
    call: (principal, args) =>
      pipe(
        TE.fromEither(pageArgs(args, 100)),
        TE.flatMap((page) => pipe(useCases.listApps(principal, page), TE.mapError(failure))),
        TE.map((apps) => ({ apps: apps.map((app) => wireApp(app, issuer)) })),
      ),
  },
  {
    name: 'latchkey_get_audit_log',
    title: 'Read the audit log',
    description:
      'Owners only. Reads the audit log newest first: logins, user and app changes, secret changes and grant revocations, with actor, IP and a diff. Filter by action or resource_type; page with limit and offset.',
    instruction: 'read the audit log (latchkey_get_audit_log)',
    outputSchema: OUTPUT_SCHEMAS.auditLog,
    annotations: READS,
    inputSchema: {
      type: 'object',
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
        offset: { type: 'integer', minimum: 0, default: 0 },
        action: { type: 'string', enum: AUDIT_ACTIONS },
        resource_type: { type: 'string', enum: AUDIT_RESOURCE_TYPES },
      },
      additionalProperties: false,
    },
    availableTo: isOwnerWithAll,
    call: (principal, args) =>
      pipe(
        TE.fromEither(
          pipe(
            pageArgs(args, 50),
            E.bind('action', () => enumArg(args, 'action', AUDIT_ACTIONS)),
            E.bind('resourceType', () => enumArg(args, 'resource_type', AUDIT_RESOURCE_TYPES)),
          ),
        ),
        TE.flatMap(({ limit, offset, action, resourceType }) =>
          pipe(
            useCases.listAuditLogs(principal, {
              limit,
              offset,
              ...(action === undefined ? {} : { action }),
              ...(resourceType === undefined ? {} : { resourceType }),
            }),
            TE.mapError(failure),
          ),
        ),
        TE.map(({ entries, count }) => ({ audit_logs: entries.map(wireAuditEntry), count })),
      ),
  },
];
