import { EntitySchema } from '@mikro-orm/core';

/*
 * Persistence shapes, one per table. They are deliberately not the domain types: the domain
 * carries no ORM metadata, so `mappers.ts` translates between the two. The tables are created by
 * the hand-written migrations in `migrations/`; these schemas describe them to the SQL gateway,
 * which derives every column list, cast and row mapping from them (through MikroORM's metadata),
 * so a column is written in its migration and here, and a test holds the two together. Every
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
  /** `null` only for an access token of the client credentials grant. */
  userId?: string | null;
  scopes: string[];
  audience?: string | null;
  clientId?: string | null;
  grantId?: string | null;
  secretId?: string | null;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date | null;
  userAgent?: string | null;
  ip?: string | null;
  lastUsedAt?: Date | null;
}

export const ApiKeySchema = new EntitySchema<ApiKeyRow>({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    id: { type: 'uuid', primary: true },
    kind: { type: 'text' },
    digest: { type: 'text' },
    userId: { type: 'uuid', fieldName: 'user_id', nullable: true },
    scopes: { type: 'string[]', columnType: 'text[]' },
    audience: { type: 'text', nullable: true },
    clientId: { type: 'uuid', fieldName: 'client_id', nullable: true },
    grantId: { type: 'uuid', fieldName: 'grant_id', nullable: true },
    secretId: { type: 'uuid', fieldName: 'secret_id', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
    revokedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'revoked_at', nullable: true },
    userAgent: { type: 'text', fieldName: 'user_agent', nullable: true },
    ip: { type: 'text', nullable: true },
    lastUsedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'last_used_at', nullable: true },
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

export interface ClientRow {
  id: string;
  name: string;
  callbackUrl: string;
  redirectUris: string[];
  icon: string;
  clientType: string;
  dynamicallyRegistered: boolean;
  grantTypes: string[];
  responseTypes: string[];
  tokenEndpointAuthMethod: string;
  /** `null`: no registered scope, which is not the same as an empty one. */
  scope: string[] | null;
  introspectAny: boolean;
  /** RFC 7591 metadata under its RFC names (`client_name`, `logo_uri`, …). */
  metadata: Record<string, unknown>;
  registrationTokenDigest: string | null;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When the client first completed a token request; `null` until then. */
  firstTokenAt: Date | null;
  /** The Client ID Metadata Document URL of a client known by it; `null` for every other. */
  metadataDocumentUrl: string | null;
  /** The scopes the client credentials grant may give; empty when none. */
  clientCredentialsScope: string[];
}

export const ClientSchema = new EntitySchema<ClientRow>({
  name: 'OAuth2Client',
  tableName: 'oauth2_clients',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'text' },
    callbackUrl: { type: 'text', fieldName: 'callback_url' },
    redirectUris: { type: 'string[]', columnType: 'text[]', fieldName: 'redirect_uris' },
    icon: { type: 'text' },
    clientType: { type: 'text', fieldName: 'client_type' },
    dynamicallyRegistered: { type: 'boolean', fieldName: 'dynamically_registered' },
    grantTypes: { type: 'string[]', columnType: 'text[]', fieldName: 'grant_types' },
    responseTypes: { type: 'string[]', columnType: 'text[]', fieldName: 'response_types' },
    tokenEndpointAuthMethod: { type: 'text', fieldName: 'token_endpoint_auth_method' },
    scope: { type: 'string[]', columnType: 'text[]', nullable: true },
    introspectAny: { type: 'boolean', fieldName: 'introspect_any' },
    metadata: { type: 'json', columnType: 'jsonb' },
    registrationTokenDigest: { type: 'text', fieldName: 'registration_token_digest', nullable: true },
    createdBy: { type: 'uuid', fieldName: 'created_by', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    updatedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'updated_at' },
    firstTokenAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'first_token_at', nullable: true },
    metadataDocumentUrl: { type: 'text', fieldName: 'metadata_document_url', nullable: true },
    clientCredentialsScope: {
      type: 'string[]',
      columnType: 'text[]',
      fieldName: 'client_credentials_scope',
    },
  },
});

export interface ClientSecretRow {
  id: string;
  clientId: string;
  digest: string;
  displaySuffix: string;
  createdAt: Date;
  lastUsedAt?: Date | null;
}

export const ClientSecretSchema = new EntitySchema<ClientSecretRow>({
  name: 'OAuth2ClientSecret',
  tableName: 'oauth2_client_secrets',
  properties: {
    id: { type: 'uuid', primary: true },
    clientId: { type: 'uuid', fieldName: 'client_id' },
    digest: { type: 'text' },
    displaySuffix: { type: 'text', fieldName: 'display_suffix' },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    lastUsedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'last_used_at', nullable: true },
  },
});

export interface GrantRow {
  id: string;
  clientId: string;
  userId: string;
  scopes: string[];
  resource: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date | null;
}

export const GrantSchema = new EntitySchema<GrantRow>({
  name: 'OAuth2Grant',
  tableName: 'oauth2_grants',
  properties: {
    id: { type: 'uuid', primary: true },
    clientId: { type: 'uuid', fieldName: 'client_id' },
    userId: { type: 'uuid', fieldName: 'user_id' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    resource: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
    revokedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'revoked_at', nullable: true },
  },
});

export interface PendingAuthorizationRow {
  digest: string;
  csrfDigest: string;
  sessionId: string;
  userId: string;
  clientId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scopes: string[];
  resource: string;
  resourceRequested: boolean;
  codeChallenge: string;
  nonce?: string | null;
  authTime?: Date | null;
  state?: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export const PendingAuthorizationSchema = new EntitySchema<PendingAuthorizationRow>({
  name: 'OAuth2PendingAuthorization',
  tableName: 'oauth2_pending_authorizations',
  properties: {
    digest: { type: 'text', primary: true },
    csrfDigest: { type: 'text', fieldName: 'csrf_digest' },
    sessionId: { type: 'uuid', fieldName: 'session_id' },
    userId: { type: 'uuid', fieldName: 'user_id' },
    clientId: { type: 'uuid', fieldName: 'client_id' },
    redirectUri: { type: 'text', fieldName: 'redirect_uri' },
    redirectUriSent: { type: 'boolean', fieldName: 'redirect_uri_sent' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    resource: { type: 'text' },
    resourceRequested: { type: 'boolean', fieldName: 'resource_requested' },
    codeChallenge: { type: 'text', fieldName: 'code_challenge' },
    nonce: { type: 'text', nullable: true },
    authTime: { type: 'Date', columnType: 'timestamptz', fieldName: 'auth_time', nullable: true },
    state: { type: 'text', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
  },
});

export interface AuthorizationCodeRow {
  id: string;
  digest: string;
  grantId: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  redirectUriSent: boolean;
  scopes: string[];
  resource: string;
  resourceRequested: boolean;
  codeChallenge: string;
  nonce?: string | null;
  authTime?: Date | null;
  createdAt: Date;
  expiresAt: Date;
  consumedAt?: Date | null;
}

export const AuthorizationCodeSchema = new EntitySchema<AuthorizationCodeRow>({
  name: 'OAuth2AuthorizationCode',
  tableName: 'oauth2_codes',
  properties: {
    id: { type: 'uuid', primary: true },
    digest: { type: 'text' },
    grantId: { type: 'uuid', fieldName: 'grant_id' },
    clientId: { type: 'uuid', fieldName: 'client_id' },
    userId: { type: 'uuid', fieldName: 'user_id' },
    redirectUri: { type: 'text', fieldName: 'redirect_uri' },
    redirectUriSent: { type: 'boolean', fieldName: 'redirect_uri_sent' },
    scopes: { type: 'string[]', columnType: 'text[]' },
    resource: { type: 'text' },
    resourceRequested: { type: 'boolean', fieldName: 'resource_requested' },
    codeChallenge: { type: 'text', fieldName: 'code_challenge' },
    nonce: { type: 'text', nullable: true },
    authTime: { type: 'Date', columnType: 'timestamptz', fieldName: 'auth_time', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
    consumedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'consumed_at', nullable: true },
  },
});

export interface RefreshTokenRow {
  id: string;
  digest: string;
  grantId: string;
  clientId: string;
  userId: string;
  secretId?: string | null;
  scopes: string[];
  resource: string;
  createdAt: Date;
  expiresAt: Date;
  rotatedAt?: Date | null;
  graceUsed: boolean;
  revokedAt?: Date | null;
}

export const RefreshTokenSchema = new EntitySchema<RefreshTokenRow>({
  name: 'OAuth2RefreshToken',
  tableName: 'oauth2_refresh_tokens',
  properties: {
    id: { type: 'uuid', primary: true },
    digest: { type: 'text' },
    grantId: { type: 'uuid', fieldName: 'grant_id' },
    clientId: { type: 'uuid', fieldName: 'client_id' },
    userId: { type: 'uuid', fieldName: 'user_id' },
    secretId: { type: 'uuid', fieldName: 'secret_id', nullable: true },
    scopes: { type: 'string[]', columnType: 'text[]' },
    resource: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    expiresAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'expires_at' },
    rotatedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'rotated_at', nullable: true },
    graceUsed: { type: 'boolean', fieldName: 'grace_used' },
    revokedAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'revoked_at', nullable: true },
  },
});

/**
 * A rate limit's window for one key, shared by every instance on the database
 * (docs/security.md#rate-limits). `key` is a namespace and a digest, never an address or email.
 */
export interface RateLimitRow {
  key: string;
  spent: number;
  resetAt: Date;
}

export const RateLimitSchema = new EntitySchema<RateLimitRow>({
  name: 'RateLimit',
  tableName: 'rate_limits',
  properties: {
    key: { type: 'text', primary: true },
    spent: { type: 'integer' },
    resetAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'reset_at' },
  },
});

export interface SigningKeyRow {
  kid: string;
  alg: string;
  generation: number;
  publicJwk: string;
  sealedPrivateKey: string;
  createdAt: Date;
  activatesAt: Date;
}

export const SigningKeySchema = new EntitySchema<SigningKeyRow>({
  name: 'SigningKey',
  tableName: 'signing_keys',
  properties: {
    kid: { type: 'text', primary: true },
    alg: { type: 'text' },
    generation: { type: 'integer' },
    publicJwk: { type: 'text', fieldName: 'public_jwk' },
    sealedPrivateKey: { type: 'text', fieldName: 'sealed_private_key' },
    createdAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'created_at' },
    activatesAt: { type: 'Date', columnType: 'timestamptz', fieldName: 'activates_at' },
  },
});

export const ENTITY_SCHEMAS = [
  UserSchema,
  ApiKeySchema,
  AuditLogSchema,
  ClientSchema,
  ClientSecretSchema,
  GrantSchema,
  PendingAuthorizationSchema,
  AuthorizationCodeSchema,
  RefreshTokenSchema,
  RateLimitSchema,
  SigningKeySchema,
];
