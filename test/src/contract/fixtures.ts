import type {
  ApiKey,
  ApiKeyId,
  AuditEntry,
  AuditEntryId,
  CredentialDigest,
  Email,
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
