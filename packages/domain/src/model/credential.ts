import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Every credential Latchkey issues, with the prefix that names its kind so that secret scanners
 * can recognise a leaked one (docs/http-api.md#credentials-at-rest).
 */
export const CREDENTIAL_PREFIXES = {
  session: 'lk_sess_',
  access: 'lk_at_',
  refresh: 'lk_rt_',
  code: 'lk_code_',
  clientSecret: 'lk_secret_',
  registration: 'lk_reg_',
  /** The single-use id of a consent form (docs/http-api.md#authorize step 5). */
  consent: 'lk_consent_',
  /** The CSRF token of a consent form. */
  csrf: 'lk_csrf_',
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_PREFIXES;

/** 32 random bytes: 256 bits of entropy, 43 characters of base64url. */
export const CREDENTIAL_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** SHA-256 of the secret part, hex. The only form in which a credential is stored. */
export type CredentialDigest = string & { readonly CredentialDigest: unique symbol };

export interface IssuedCredential {
  /** Shown to its holder once, never stored. */
  readonly token: string;
  readonly digest: CredentialDigest;
}

/** One-shot `crypto.hash`: no `Hash` object per presented credential. */
const digestOf = (secret: string): CredentialDigest => hash('sha256', secret, 'hex') as CredentialDigest;

/** Mints a credential of `kind` from `CREDENTIAL_BYTES` of randomness. */
export const issueCredential = (kind: CredentialKind, randomBytes: Uint8Array): IssuedCredential => {
  if (randomBytes.length < CREDENTIAL_BYTES) throw new RangeError('a credential needs 32 random bytes');
  const secret = Buffer.from(randomBytes.subarray(0, CREDENTIAL_BYTES)).toString('base64url');
  return { token: CREDENTIAL_PREFIXES[kind] + secret, digest: digestOf(secret) };
};

/**
 * Parses a presented credential of `kind`: the digest to look it up by, or `undefined` when the
 * text cannot be such a credential (wrong prefix or shape), so no lookup is made.
 */
export const credentialDigest = (kind: CredentialKind, presented: string): CredentialDigest | undefined => {
  const prefix = CREDENTIAL_PREFIXES[kind];
  if (!presented.startsWith(prefix)) return undefined;
  const secret = presented.slice(prefix.length);
  return SECRET_PATTERN.test(secret) ? digestOf(secret) : undefined;
};

const PREFIX_ENTRIES = Object.entries(CREDENTIAL_PREFIXES) as ReadonlyArray<
  readonly [CredentialKind, string]
>;

/**
 * The stored digest of a JWT access token (RFC 9068, docs/openid-connect.md#jwt-access-tokens):
 * SHA-256 of its `jti`, in a domain of its own (`jwt:` prefix), so that a `jti` can never be
 * presented as an opaque access token.
 */
export const jwtAccessTokenDigest = (jti: string): CredentialDigest =>
  hash('sha256', `jwt:${jti}`, 'hex') as CredentialDigest;

/** A compact JWS (RFC 7515 §7.1): what a JWT access token looks like on the wire. */
export const looksLikeJwt = (presented: string): boolean =>
  /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(presented);

/** Which kind a presented credential claims to be, by prefix. */
export const credentialKindOf = (presented: string): CredentialKind | undefined => {
  // Longest prefixes first would matter only if one prefix extended another; none does.
  for (const [kind, prefix] of PREFIX_ENTRIES) {
    if (presented.startsWith(prefix)) return kind;
  }
  return undefined;
};

/**
 * Constant-time comparison of two digests. Lookups are by digest already; this check makes the
 * final decision independent of how the store compared.
 */
export const digestsEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
};

/** The last characters of a secret, for display (`client_secret_truncated`). */
export const truncateSecret = (token: string, keep = 6): string => token.slice(-keep);
