import type { AuditEntry, ClientSecret, OAuthClient, User } from '@latchkey/domain';

/** RFC 3339 UTC (docs/http-api.md#conventions). */
export const timestamp = (date: Date): string => date.toISOString();

/** A user on the wire (docs/http-api.md#users-and-sessions); passwords and hashes never leave. */
export interface WireUser {
  readonly id: string;
  readonly email: string;
  readonly username: string;
  readonly name: string;
  readonly role: string;
  readonly created_at: string;
}

export const wireUser = (user: User): WireUser => ({
  id: user.id,
  email: user.email,
  username: user.username,
  name: user.name,
  role: user.role,
  created_at: timestamp(user.createdAt),
});

/**
 * `wireUser` as JSON text, kept per user object: storage hands out the same object for every
 * request of a user (the in-memory store always, PostgreSQL's lookup cache while it holds the
 * row), and the signed-in user is the most often answered body there is. A changed user is a
 * new object, so the text never goes stale; an unused one goes with its object.
 */
const userTexts = new WeakMap<User, string>();

export const wireUserText = (user: User): string => {
  let text = userTexts.get(user);
  if (text === undefined) {
    text = JSON.stringify(wireUser(user));
    userTexts.set(user, text);
  }
  return text;
};

/** An audit entry on the wire (docs/http-api.md#audit-log). */
export const wireAuditEntry = (entry: AuditEntry): Record<string, unknown> => ({
  id: entry.id,
  time: timestamp(entry.time),
  action: entry.action,
  resource_type: entry.resourceType,
  resource_id: entry.resourceId,
  ...(entry.actorId === undefined ? {} : { actor_id: entry.actorId }),
  ip: entry.ip,
  user_agent: entry.userAgent,
  status: entry.status,
  diff: entry.diff,
});

/** The fields every app on the wire has; `wireApp` adds the others only when they have a value. */
export const APP_REQUIRED_FIELDS = [
  'id',
  'name',
  'callback_url',
  'redirect_uris',
  'icon',
  'client_type',
  'dynamically_registered',
  'grant_types',
  'introspect_any',
  'endpoints',
] as const;

/**
 * An app on the wire (docs/http-api.md#apps); `scope` and `client_credentials_scope` only when they
 * have a value, never `null`.
 */
export const wireApp = (client: OAuthClient, issuer: string): Record<string, unknown> => ({
  id: client.id,
  name: client.name,
  callback_url: client.callbackUrl,
  redirect_uris: client.redirectUris,
  icon: client.icon,
  client_type: client.clientType,
  dynamically_registered: client.dynamicallyRegistered,
  // docs/http-api.md#client-id-metadata-documents: the client_id such a client presents.
  ...(client.metadataDocumentUrl === undefined
    ? {}
    : { client_id_metadata_document: client.metadataDocumentUrl }),
  grant_types: client.grantTypes,
  ...(client.scope === undefined ? {} : { scope: client.scope.join(' ') }),
  introspect_any: client.introspectAny,
  // docs/http-api.md#client-credentials-grant: what the grant may give, while it is enabled.
  ...(client.clientCredentialsScope === undefined || !client.grantTypes.includes('client_credentials')
    ? {}
    : { client_credentials_scope: client.clientCredentialsScope.join(' ') }),
  endpoints: {
    authorization: `${issuer}/oauth2/authorize`,
    token: `${issuer}/oauth2/tokens`,
    device_authorization: '',
  },
});

/** A secret in a list: never the secret, only its last 6 characters (docs/http-api.md#apps). */
export const wireSecret = (secret: ClientSecret): Record<string, unknown> => ({
  id: secret.id,
  created_at: timestamp(secret.createdAt),
  ...(secret.lastUsedAt === undefined ? {} : { last_used_at: timestamp(secret.lastUsedAt) }),
  client_secret_truncated: secret.displaySuffix,
});
