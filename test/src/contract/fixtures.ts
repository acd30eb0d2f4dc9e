import type {
  ApiKey,
  ApiKeyId,
  AuditEntry,
  AuditEntryId,
  AuthorizationCode,
  ClientId,
  ClientSecret,
  ClientSecretId,
  CredentialDigest,
  Email,
  Grant,
  GrantId,
  OAuthClient,
  PendingAuthorization,
  RefreshToken,
  User,
  UserId,
  Username,
} from '@latchkey/domain';

/** Lower-case UUIDs, so that ordering by id means the same to JavaScript and to PostgreSQL. */
export const uuid = (n: number): string => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

export const T0 = new Date('2026-01-01T00:00:00.000Z');
export const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

export const aUser = (n: number, overrides: Partial<User> = {}): User => ({
  id: uuid(n) as UserId,
  email: `user${n}@example.com` as Email,
  username: `user${n}` as Username,
  name: `User ${n}`,
  role: 'member',
  createdAt: at(n),
  ...overrides,
});

export const anApiKey = (n: number, userId: UserId, overrides: Partial<ApiKey> = {}): ApiKey => ({
  id: uuid(0x1000 + n) as ApiKeyId,
  kind: 'session',
  digest: n.toString(16).padStart(64, '0') as CredentialDigest,
  userId,
  scopes: ['all'],
  createdAt: T0,
  expiresAt: at(3600),
  ...overrides,
});

/** An access token of `grant`, as the token endpoint issues one: bound to its client, scopes and resource. */
export const anAccessToken = (n: number, grant: Grant, overrides: Partial<ApiKey> = {}): ApiKey =>
  anApiKey(n, grant.userId, {
    kind: 'access',
    scopes: [...grant.scopes],
    audience: grant.resource,
    clientId: grant.clientId,
    grantId: grant.id,
    ...overrides,
  });

/** An owner-created confidential app, as `createApp` builds one. */
export const aClient = (n: number, overrides: Partial<OAuthClient> = {}): OAuthClient => ({
  id: uuid(0x3000 + n) as ClientId,
  name: `app-${n}`,
  callbackUrl: `https://app${n}.example.com/callback`,
  redirectUris: [`https://app${n}.example.com/callback`],
  icon: '',
  clientType: 'confidential',
  dynamicallyRegistered: false,
  grantTypes: ['authorization_code', 'refresh_token'],
  responseTypes: ['code'],
  tokenEndpointAuthMethod: 'client_secret_basic',
  introspectAny: false,
  metadata: {},
  createdAt: at(n),
  updatedAt: at(n),
  ...overrides,
});

export const aClientSecret = (
  n: number,
  clientId: ClientId,
  overrides: Partial<ClientSecret> = {},
): ClientSecret => ({
  id: uuid(0x4000 + n) as ClientSecretId,
  clientId,
  digest: `5ec${n.toString(16).padStart(61, '0')}` as CredentialDigest,
  displaySuffix: `suf${n.toString().padStart(3, '0')}`,
  createdAt: at(n),
  ...overrides,
});

export const aGrant = (
  n: number,
  clientId: ClientId,
  userId: UserId,
  overrides: Partial<Grant> = {},
): Grant => ({
  id: uuid(0x5000 + n) as GrantId,
  clientId,
  userId,
  scopes: ['user:read'],
  resource: 'https://latchkey.example.com',
  createdAt: T0,
  expiresAt: at(86_400),
  ...overrides,
});

/** A digest of 64 hex digits, distinct per `kind` prefix and `n`. */
const digest = (kind: string, n: number): CredentialDigest =>
  `${kind}${n.toString(16).padStart(64 - kind.length, '0')}` as CredentialDigest;

/** A consent request of `sessionId` (an API key id), every optional field unset. */
export const aPendingAuthorization = (
  n: number,
  sessionId: ApiKeyId,
  userId: UserId,
  clientId: ClientId,
  overrides: Partial<PendingAuthorization> = {},
): PendingAuthorization => ({
  digest: digest('beef', n),
  csrfDigest: digest('c5f', n),
  sessionId,
  userId,
  clientId,
  redirectUri: 'https://app.example.com/callback',
  redirectUriSent: true,
  scopes: ['user:read'],
  resource: 'https://latchkey.example.com',
  resourceRequested: false,
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  createdAt: T0,
  expiresAt: at(600),
  ...overrides,
});

/** A code of `grant`, for its client and user, unconsumed. */
export const aCode = (
  n: number,
  grant: Grant,
  overrides: Partial<AuthorizationCode> = {},
): AuthorizationCode => ({
  id: uuid(0x6000 + n),
  digest: digest('c0de', n),
  grantId: grant.id,
  clientId: grant.clientId,
  userId: grant.userId,
  redirectUri: 'https://app.example.com/callback',
  redirectUriSent: false,
  scopes: [...grant.scopes],
  resource: grant.resource,
  resourceRequested: false,
  codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
  createdAt: T0,
  expiresAt: at(60),
  ...overrides,
});

/** A refresh token of `grant`, for its client and user, neither rotated nor revoked. */
export const aRefreshToken = (
  n: number,
  grant: Grant,
  overrides: Partial<RefreshToken> = {},
): RefreshToken => ({
  id: uuid(0x7000 + n),
  digest: digest('ef', n),
  grantId: grant.id,
  clientId: grant.clientId,
  userId: grant.userId,
  scopes: [...grant.scopes],
  resource: grant.resource,
  createdAt: T0,
  expiresAt: at(30 * 86_400),
  graceUsed: false,
  ...overrides,
});

export const anAuditEntry = (n: number, overrides: Partial<AuditEntry> = {}): AuditEntry => ({
  id: uuid(0x2000 + n) as AuditEntryId,
  time: at(n),
  action: 'create',
  resourceType: 'user',
  resourceId: uuid(n),
  ip: '192.0.2.1',
  userAgent: 'contract-test',
  status: 201,
  diff: {},
  ...overrides,
});

/** The error a promise rejects with; fails the test when it resolves. */
export const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
};
