import {
  AUDIT_ACTIONS,
  type AuthorizationCode,
  type PendingAuthorization,
  type RefreshToken,
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
  type ClientId,
  type ClientMetadata,
  type ClientSecret,
  type ClientSecretId,
  type ClientType,
  type CredentialDigest,
  type Email,
  type Grant,
  type GrantId,
  GRANT_TYPES,
  type OAuthClient,
  type StoredUser,
  type User,
  type UserId,
  type TokenEndpointAuthMethod,
  type Username,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from '@latchkey/domain';
import type {
  ApiKeyRow,
  AuditLogRow,
  AuthorizationCodeRow,
  ClientRow,
  ClientSecretRow,
  GrantRow,
  PendingAuthorizationRow,
  RefreshTokenRow,
  UserRow,
} from './entities.js';

/*
 * Rows <-> domain values. Reading checks the closed vocabularies (role, kind, action, resource
 * type) instead of casting, so a row written by a newer version, or by hand, fails loudly here
 * rather than as a confusing error far away in a use case. The database enforces the rest.
 */

/** Thrown when a row holds a value the domain has no name for. */
export class UnexpectedRowError extends Error {
  override readonly name = 'UnexpectedRowError';
  constructor(
    readonly table: string,
    readonly column: string,
    value: unknown,
  ) {
    super(`${table}.${column} holds an unexpected value: ${JSON.stringify(value)}`);
  }
}

const oneOf = <T extends string>(allowed: readonly T[], table: string, column: string, value: string): T => {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UnexpectedRowError(table, column, value);
};

const API_KEY_KINDS: readonly ApiKeyKind[] = ['session', 'access'];
const ROLES: readonly Role[] = Object.keys(Role.keys) as Role[];

/** `undefined` in the domain is SQL `null` (the gateway writes an absent property as null). */
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
  userId: key.userId ?? null,
  scopes: [...key.scopes],
  audience: key.audience,
  clientId: key.clientId,
  grantId: key.grantId,
  secretId: key.secretId,
  createdAt: key.createdAt,
  expiresAt: key.expiresAt,
  revokedAt: key.revokedAt,
  userAgent: key.userAgent,
  ip: key.ip,
  lastUsedAt: key.lastUsedAt,
});

export const toApiKey = (row: ApiKeyRow): ApiKey => {
  const userId = optional(row.userId) as UserId | undefined;
  const audience = optional(row.audience);
  const clientId = optional(row.clientId) as ClientId | undefined;
  const grantId = optional(row.grantId) as GrantId | undefined;
  const secretId = optional(row.secretId) as ClientSecretId | undefined;
  const revokedAt = optional(row.revokedAt);
  const userAgent = optional(row.userAgent);
  const ip = optional(row.ip);
  const lastUsedAt = optional(row.lastUsedAt);
  return {
    id: row.id as ApiKeyId,
    kind: oneOf(API_KEY_KINDS, 'api_keys', 'kind', row.kind),
    digest: row.digest as CredentialDigest,
    ...(userId === undefined ? {} : { userId }),
    scopes: row.scopes,
    ...(audience === undefined ? {} : { audience }),
    ...(clientId === undefined ? {} : { clientId }),
    ...(grantId === undefined ? {} : { grantId }),
    ...(secretId === undefined ? {} : { secretId }),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...(revokedAt === undefined ? {} : { revokedAt }),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(ip === undefined ? {} : { ip }),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
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

const CLIENT_TYPES: readonly ClientType[] = ['confidential', 'public'];
const RESPONSE_TYPES: readonly 'code'[] = ['code'];
const APPLICATION_TYPES: readonly NonNullable<ClientMetadata['applicationType']>[] = ['web', 'native'];

/**
 * Where each metadata field is kept in `oauth2_clients.metadata`: under its RFC 7591 §2 name, so
 * that the stored JSON does not change when a domain field is renamed. Typed over every key, so a
 * field added to `ClientMetadata` does not compile until it has a name here.
 */
const METADATA_NAMES: { readonly [K in keyof Required<ClientMetadata>]: string } = {
  clientName: 'client_name',
  clientUri: 'client_uri',
  logoUri: 'logo_uri',
  tosUri: 'tos_uri',
  policyUri: 'policy_uri',
  jwksUri: 'jwks_uri',
  jwks: 'jwks',
  contacts: 'contacts',
  softwareId: 'software_id',
  softwareVersion: 'software_version',
  applicationType: 'application_type',
};

const METADATA_KEYS = Object.keys(METADATA_NAMES) as (keyof ClientMetadata)[];

const toMetadataJson = (metadata: ClientMetadata): Record<string, unknown> => {
  const json: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) {
    const value = metadata[key];
    if (value !== undefined) json[METADATA_NAMES[key]] = value;
  }
  return json;
};

const toMetadata = (json: Record<string, unknown>): ClientMetadata => {
  const metadata: Record<string, unknown> = {};
  for (const key of METADATA_KEYS) {
    const value = json[METADATA_NAMES[key]];
    if (value !== undefined && value !== null) metadata[key] = value;
  }
  const { applicationType } = metadata;
  if (applicationType !== undefined && !(APPLICATION_TYPES as readonly unknown[]).includes(applicationType))
    throw new UnexpectedRowError('oauth2_clients', 'metadata.application_type', applicationType);
  return metadata;
};

/** Every optional field becomes an explicit `null`, so that `update` clears what is absent. */
export const toClientRow = (client: OAuthClient): ClientRow => ({
  id: client.id,
  name: client.name,
  callbackUrl: client.callbackUrl,
  redirectUris: [...client.redirectUris],
  icon: client.icon,
  clientType: client.clientType,
  dynamicallyRegistered: client.dynamicallyRegistered,
  grantTypes: [...client.grantTypes],
  responseTypes: [...client.responseTypes],
  tokenEndpointAuthMethod: client.tokenEndpointAuthMethod,
  scope: client.scope === undefined ? null : [...client.scope],
  introspectAny: client.introspectAny,
  metadata: toMetadataJson(client.metadata),
  registrationTokenDigest: client.registrationTokenDigest ?? null,
  createdBy: client.createdBy ?? null,
  createdAt: client.createdAt,
  updatedAt: client.updatedAt,
  firstTokenAt: client.firstTokenAt ?? null,
  metadataDocumentUrl: client.metadataDocumentUrl ?? null,
  clientCredentialsScope: [...(client.clientCredentialsScope ?? [])],
});

export const toClient = (row: ClientRow): OAuthClient => {
  const scope = optional(row.scope);
  const registrationTokenDigest = optional(row.registrationTokenDigest) as CredentialDigest | undefined;
  const createdBy = optional(row.createdBy) as UserId | undefined;
  const firstTokenAt = optional(row.firstTokenAt);
  const metadataDocumentUrl = optional(row.metadataDocumentUrl);
  return {
    id: row.id as ClientId,
    name: row.name,
    callbackUrl: row.callbackUrl,
    redirectUris: row.redirectUris,
    icon: row.icon,
    clientType: oneOf(CLIENT_TYPES, 'oauth2_clients', 'client_type', row.clientType),
    dynamicallyRegistered: row.dynamicallyRegistered,
    ...(metadataDocumentUrl === undefined ? {} : { metadataDocumentUrl }),
    grantTypes: row.grantTypes.map((g) => oneOf(GRANT_TYPES, 'oauth2_clients', 'grant_types', g)),
    responseTypes: row.responseTypes.map((r) => oneOf(RESPONSE_TYPES, 'oauth2_clients', 'response_types', r)),
    tokenEndpointAuthMethod: oneOf<TokenEndpointAuthMethod>(
      TOKEN_ENDPOINT_AUTH_METHODS,
      'oauth2_clients',
      'token_endpoint_auth_method',
      row.tokenEndpointAuthMethod,
    ),
    ...(scope === undefined ? {} : { scope }),
    introspectAny: row.introspectAny,
    ...(row.clientCredentialsScope.length === 0
      ? {}
      : { clientCredentialsScope: row.clientCredentialsScope }),
    metadata: toMetadata(row.metadata),
    ...(registrationTokenDigest === undefined ? {} : { registrationTokenDigest }),
    ...(createdBy === undefined ? {} : { createdBy }),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    ...(firstTokenAt === undefined ? {} : { firstTokenAt }),
  };
};

export const toClientSecretRow = (secret: ClientSecret): ClientSecretRow => ({
  id: secret.id,
  clientId: secret.clientId,
  digest: secret.digest,
  displaySuffix: secret.displaySuffix,
  createdAt: secret.createdAt,
  lastUsedAt: secret.lastUsedAt,
});

export const toClientSecret = (row: ClientSecretRow): ClientSecret => {
  const lastUsedAt = optional(row.lastUsedAt);
  return {
    id: row.id as ClientSecretId,
    clientId: row.clientId as ClientId,
    digest: row.digest as CredentialDigest,
    displaySuffix: row.displaySuffix,
    createdAt: row.createdAt,
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
  };
};

export const toGrantRow = (grant: Grant): GrantRow => ({
  id: grant.id,
  clientId: grant.clientId,
  userId: grant.userId,
  scopes: [...grant.scopes],
  resource: grant.resource,
  createdAt: grant.createdAt,
  expiresAt: grant.expiresAt,
  revokedAt: grant.revokedAt,
});

export const toGrant = (row: GrantRow): Grant => {
  const revokedAt = optional(row.revokedAt);
  return {
    id: row.id as GrantId,
    clientId: row.clientId as ClientId,
    userId: row.userId as UserId,
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
};

/** The OpenID Connect terms of a consent request or code, when it has them. */
const oidcTerms = (row: { nonce?: string | null; authTime?: Date | null }) => {
  const nonce = optional(row.nonce);
  const authTime = optional(row.authTime);
  return { ...(nonce === undefined ? {} : { nonce }), ...(authTime === undefined ? {} : { authTime }) };
};

export const toPendingAuthorizationRow = (pending: PendingAuthorization): PendingAuthorizationRow => ({
  digest: pending.digest,
  csrfDigest: pending.csrfDigest,
  sessionId: pending.sessionId,
  userId: pending.userId,
  clientId: pending.clientId,
  redirectUri: pending.redirectUri,
  redirectUriSent: pending.redirectUriSent,
  scopes: [...pending.scopes],
  resource: pending.resource,
  resourceRequested: pending.resourceRequested,
  codeChallenge: pending.codeChallenge,
  nonce: pending.nonce,
  authTime: pending.authTime,
  state: pending.state,
  createdAt: pending.createdAt,
  expiresAt: pending.expiresAt,
});

export const toPendingAuthorization = (row: PendingAuthorizationRow): PendingAuthorization => {
  const state = optional(row.state);
  return {
    digest: row.digest as CredentialDigest,
    csrfDigest: row.csrfDigest as CredentialDigest,
    sessionId: row.sessionId,
    userId: row.userId as UserId,
    clientId: row.clientId as ClientId,
    redirectUri: row.redirectUri,
    redirectUriSent: row.redirectUriSent,
    scopes: row.scopes,
    resource: row.resource,
    resourceRequested: row.resourceRequested,
    codeChallenge: row.codeChallenge,
    ...oidcTerms(row),
    ...(state === undefined ? {} : { state }),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
  };
};

export const toAuthorizationCodeRow = (code: AuthorizationCode): AuthorizationCodeRow => ({
  id: code.id,
  digest: code.digest,
  grantId: code.grantId,
  clientId: code.clientId,
  userId: code.userId,
  redirectUri: code.redirectUri,
  redirectUriSent: code.redirectUriSent,
  scopes: [...code.scopes],
  resource: code.resource,
  resourceRequested: code.resourceRequested,
  codeChallenge: code.codeChallenge,
  nonce: code.nonce,
  authTime: code.authTime,
  createdAt: code.createdAt,
  expiresAt: code.expiresAt,
  consumedAt: code.consumedAt,
});

export const toAuthorizationCode = (row: AuthorizationCodeRow): AuthorizationCode => {
  const consumedAt = optional(row.consumedAt);
  return {
    id: row.id,
    digest: row.digest as CredentialDigest,
    grantId: row.grantId as GrantId,
    clientId: row.clientId as ClientId,
    userId: row.userId as UserId,
    redirectUri: row.redirectUri,
    redirectUriSent: row.redirectUriSent,
    scopes: row.scopes,
    resource: row.resource,
    resourceRequested: row.resourceRequested,
    codeChallenge: row.codeChallenge,
    ...oidcTerms(row),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...(consumedAt === undefined ? {} : { consumedAt }),
  };
};

export const toRefreshTokenRow = (token: RefreshToken): RefreshTokenRow => ({
  id: token.id,
  digest: token.digest,
  grantId: token.grantId,
  clientId: token.clientId,
  userId: token.userId,
  secretId: token.secretId,
  scopes: [...token.scopes],
  resource: token.resource,
  createdAt: token.createdAt,
  expiresAt: token.expiresAt,
  rotatedAt: token.rotatedAt,
  graceUsed: token.graceUsed,
  revokedAt: token.revokedAt,
});

export const toRefreshToken = (row: RefreshTokenRow): RefreshToken => {
  const secretId = optional(row.secretId) as ClientSecretId | undefined;
  const rotatedAt = optional(row.rotatedAt);
  const revokedAt = optional(row.revokedAt);
  return {
    id: row.id,
    digest: row.digest as CredentialDigest,
    grantId: row.grantId as GrantId,
    clientId: row.clientId as ClientId,
    userId: row.userId as UserId,
    ...(secretId === undefined ? {} : { secretId }),
    scopes: row.scopes,
    resource: row.resource,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    ...(rotatedAt === undefined ? {} : { rotatedAt }),
    graceUsed: row.graceUsed,
    ...(revokedAt === undefined ? {} : { revokedAt }),
  };
};
