/**
 * Keys that sign ID tokens and JWT access tokens (docs/openid-connect.md#signing-keys). Each
 * algorithm has its own line of keys, numbered by `generation`: the first key is 1 and every
 * rotation adds the next number, unique per algorithm, so that instances starting or rotating
 * at the same moment cannot both add a key (the second insert finds its number taken).
 */
export type SigningAlgorithm = 'ES256' | 'RS256';

/** ES256 first: it signs ID tokens unless a client registered RS256 (docs/openid-connect.md#signing-keys). */
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['ES256', 'RS256'];

export const isSigningAlgorithm = (value: unknown): value is SigningAlgorithm =>
  value === 'ES256' || value === 'RS256';

export interface SigningKey {
  /** The JWK `kid`: random, public. */
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly generation: number;
  /** The public JWK as published at `jwks_uri` (with `kid`, `alg`, `use: sig`). */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** The private JWK, encrypted with the configured secret (never stored in the clear). */
  readonly sealedPrivateKey: string;
  readonly createdAt: Date;
  /** From when it signs; published from `createdAt`, so before it signs (pre-publication). */
  readonly activatesAt: Date;
}

const newestFirst = (a: SigningKey, b: SigningKey): number => b.generation - a.generation;

const lineOf = (keys: readonly SigningKey[], alg: SigningAlgorithm): SigningKey[] =>
  keys.filter((key) => key.alg === alg).sort(newestFirst);

/** The key of `alg` that signs at `now`: the newest one already active. */
export const activeSigningKey = (
  keys: readonly SigningKey[],
  alg: SigningAlgorithm,
  now: Date,
): SigningKey | undefined => lineOf(keys, alg).find((key) => key.activatesAt.getTime() <= now.getTime());

/** The newest key of `alg`, active or still pre-published. */
export const newestSigningKey = (
  keys: readonly SigningKey[],
  alg: SigningAlgorithm,
): SigningKey | undefined => lineOf(keys, alg)[0];

/**
 * When `key` stopped signing: when the first newer key of its algorithm became active, or
 * `undefined` while it still signs (or has not started).
 */
export const supersededAt = (keys: readonly SigningKey[], key: SigningKey, now: Date): Date | undefined => {
  const successors = lineOf(keys, key.alg).filter(
    (other) => other.generation > key.generation && other.activatesAt.getTime() <= now.getTime(),
  );
  const first = successors.at(-1);
  return first?.activatesAt;
};

/**
 * Whether `key` is still published at `now`: until `retentionSeconds` (the longest lifetime of
 * a token it signed) after it stopped signing, so that every token it signed verifies until it
 * expires.
 */
export const isPublished = (
  keys: readonly SigningKey[],
  key: SigningKey,
  now: Date,
  retentionSeconds: number,
): boolean => {
  const ended = supersededAt(keys, key, now);
  return ended === undefined || ended.getTime() + retentionSeconds * 1000 > now.getTime();
};

/** Whether the newest key of `alg` is older than `maxAgeSeconds` (0: never), so a rotation is due. */
export const rotationDue = (
  keys: readonly SigningKey[],
  alg: SigningAlgorithm,
  now: Date,
  maxAgeSeconds: number,
): boolean => {
  if (maxAgeSeconds <= 0) return false;
  const newest = newestSigningKey(keys, alg);
  return newest === undefined || newest.activatesAt.getTime() + maxAgeSeconds * 1000 <= now.getTime();
};
