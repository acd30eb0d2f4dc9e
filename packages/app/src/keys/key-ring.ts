import { randomBytes } from 'node:crypto';
import {
  activeSigningKey,
  isPublished,
  newestSigningKey,
  rotationDue,
  SIGNING_ALGORITHMS,
  supersededAt,
  type Clock,
  type JwtClaims,
  type SigningAlgorithm,
  type SigningKey,
  type SigningKeyRepository,
  type TokenSigner,
} from '@latchkey/domain';
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type GenerateKeyPairResult,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import type { KeySealer } from './key-sealer.js';

/** How the keys rotate (docs/openid-connect.md#signing-keys). */
export interface KeyRingSettings {
  readonly issuer: string;
  /** A new key is published this long before it signs (`LATCHKEY_SIGNING_KEY_PREPUBLISH`). */
  readonly prePublishSeconds: number;
  /** Keys older than this are rotated by the maintenance timer; 0: only by hand (`LATCHKEY_SIGNING_KEY_ROTATION`). */
  readonly rotationSeconds: number;
  /** The longest lifetime of a token a key signs: how long it stays published once it stops signing. */
  readonly retentionSeconds: number;
}

/** Another instance's rotation is seen within this long (the key list is re-read). */
const RELOAD_MS = 30_000;

/** What `latchkey keys list` shows of one key. */
export interface KeyState {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly generation: number;
  readonly createdAt: Date;
  readonly activatesAt: Date;
  /** `pending`: published, not yet signing; `active`: signs; `retiring`: published only; `expired`: to be deleted. */
  readonly state: 'pending' | 'active' | 'retiring' | 'expired';
  /** When a retiring key leaves the JWKS. */
  readonly publishedUntil?: Date;
}

/** Raised when the stored keys cannot be opened with the configured secret. */
export class SigningKeySecretError extends Error {
  override readonly name = 'SigningKeySecretError';
}

const newKid = (): string => randomBytes(16).toString('base64url');

/** Makes the key pair of a new signing key; extractable, since the private key is stored sealed. */
export type KeyPairSource = (alg: SigningAlgorithm) => Promise<GenerateKeyPairResult>;

/** A new key pair from the platform's generator (RS256: 2048-bit modulus). */
export const generateSigningKeyPair: KeyPairSource = (alg) =>
  generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: 2048 } : {}) });

/**
 * The signing keys of this issuer, shared through the database by every instance: created on
 * first start, rotated with pre-publication (by hand or by age), published at `jwks_uri` until
 * the last token they signed has expired, and used through jose to sign and verify.
 */
export class KeyRing implements TokenSigner {
  #keys: readonly SigningKey[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  readonly #privateKeys = new Map<string, CryptoKey>();
  #sealer: Promise<KeySealer> | undefined;

  /**
   * `sealer` is asked for only when a private key is sealed or opened (start-up, rotation,
   * signing), so that commands that never sign run without the secret.
   */
  constructor(
    private readonly repository: SigningKeyRepository,
    private readonly sealerOf: () => Promise<KeySealer>,
    private readonly clock: Clock,
    private readonly settings: KeyRingSettings,
    private readonly generate: KeyPairSource = generateSigningKeyPair,
  ) {}

  /** Start-up: a first key of each algorithm unless one exists (another instance may add it first). */
  async ensure(): Promise<void> {
    await this.sealer();
    await this.reload();
    for (const alg of SIGNING_ALGORITHMS) {
      if (newestSigningKey(this.#keys, alg) === undefined) await this.add(alg, 0);
    }
    await this.reload();
    // Every stored private key must open with this secret: a wrong secret stops start-up here.
    for (const key of this.#keys) await this.openSealed(key);
  }

  /**
   * Adds the next key of each algorithm, published now and signing after the pre-publish
   * period. Returns the keys added (none for an algorithm whose next number another instance took).
   */
  async rotate(algs: readonly SigningAlgorithm[] = SIGNING_ALGORITHMS): Promise<SigningKey[]> {
    await this.reload();
    const added: SigningKey[] = [];
    for (const alg of algs) {
      const key = await this.add(alg, this.settings.prePublishSeconds);
      if (key !== undefined) added.push(key);
    }
    await this.reload();
    return added;
  }

  /** Maintenance: rotates the algorithms whose newest key is too old, and deletes expired keys. */
  async maintain(): Promise<{ rotated: SigningKey[]; deleted: number }> {
    await this.reload();
    const now = this.clock.now();
    const due = SIGNING_ALGORITHMS.filter((alg) =>
      rotationDue(this.#keys, alg, now, this.settings.rotationSeconds),
    );
    const rotated = due.length === 0 ? [] : await this.rotate(due);
    const deleted = await this.purge();
    return { rotated, deleted };
  }

  /** Deletes keys no longer published (their last token has expired). */
  async purge(): Promise<number> {
    await this.reload();
    const now = this.clock.now();
    const expired = this.#keys
      .filter((key) => !isPublished(this.#keys, key, now, this.settings.retentionSeconds))
      .map((key) => key.kid);
    const deleted = await this.repository.delete(expired);
    if (deleted > 0) await this.reload();
    return deleted;
  }

  async list(): Promise<KeyState[]> {
    await this.reload();
    const now = this.clock.now();
    return [...this.#keys]
      .sort((a, b) => a.alg.localeCompare(b.alg) || a.generation - b.generation)
      .map((key) => {
        const ended = supersededAt(this.#keys, key, now);
        const publishedUntil =
          ended === undefined ? undefined : new Date(ended.getTime() + this.settings.retentionSeconds * 1000);
        const state: KeyState['state'] =
          key.activatesAt.getTime() > now.getTime()
            ? 'pending'
            : publishedUntil === undefined
              ? 'active'
              : publishedUntil.getTime() > now.getTime()
                ? 'retiring'
                : 'expired';
        return {
          kid: key.kid,
          alg: key.alg,
          generation: key.generation,
          createdAt: key.createdAt,
          activatesAt: key.activatesAt,
          state,
          ...(publishedUntil === undefined ? {} : { publishedUntil }),
        };
      });
  }

  /**
   * The JWK Set served at `jwks_uri` (RFC 7517 §5): every published public key. `reload` reads
   * the keys first (the route does: a key another instance pre-published is served at once).
   */
  async jwks(reload = false): Promise<JSONWebKeySet> {
    if (reload) await this.reload();
    else await this.fresh();
    const now = this.clock.now();
    return {
      keys: this.#keys
        .filter((key) => isPublished(this.#keys, key, now, this.settings.retentionSeconds))
        .sort((a, b) => a.alg.localeCompare(b.alg) || b.generation - a.generation)
        .map((key): JWK => ({ ...key.publicJwk })),
    };
  }

  /** Cache-Control max-age of the JWK Set: a client re-reads it before a pre-published key signs. */
  jwksMaxAgeSeconds(): number {
    return Math.min(3600, Math.floor(this.settings.prePublishSeconds / 2));
  }

  async sign(claims: JwtClaims, options: { typ: 'JWT' | 'at+jwt'; alg: SigningAlgorithm }): Promise<string> {
    await this.fresh();
    const key = activeSigningKey(this.#keys, options.alg, this.clock.now());
    if (key === undefined) throw new Error(`no active ${options.alg} signing key`);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: options.typ })
      .sign(await this.privateKey(key));
  }

  async verify(token: string, typ: 'at+jwt'): Promise<JwtClaims | undefined> {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet(await this.jwks()), {
        issuer: this.settings.issuer,
        typ,
        algorithms: [...SIGNING_ALGORITHMS],
        currentDate: this.clock.now(),
      });
      return payload;
    } catch {
      return undefined;
    }
  }

  private async add(alg: SigningAlgorithm, prePublishSeconds: number): Promise<SigningKey | undefined> {
    const now = this.clock.now();
    const kid = newKid();
    const pair = await this.generate(alg);
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid, alg };
    const key: SigningKey = {
      kid,
      alg,
      generation: (newestSigningKey(this.#keys, alg)?.generation ?? 0) + 1,
      publicJwk,
      sealedPrivateKey: (await this.sealer()).seal(kid, JSON.stringify(privateJwk)),
      createdAt: now,
      activatesAt: new Date(now.getTime() + prePublishSeconds * 1000),
    };
    return (await this.repository.insert(key)) ? key : undefined;
  }

  private sealer(): Promise<KeySealer> {
    this.#sealer ??= this.sealerOf();
    return this.#sealer;
  }

  private async openSealed(key: SigningKey): Promise<JWK> {
    const opened = (await this.sealer()).open(key.kid, key.sealedPrivateKey);
    if (opened === undefined)
      throw new SigningKeySecretError(
        `LATCHKEY_SIGNING_KEY_SECRET does not open the stored signing key ${key.kid}`,
      );
    return JSON.parse(opened) as JWK;
  }

  private async privateKey(key: SigningKey): Promise<CryptoKey> {
    const cached = this.#privateKeys.get(key.kid);
    if (cached !== undefined) return cached;
    const imported = (await importJWK(await this.openSealed(key), key.alg)) as CryptoKey;
    this.#privateKeys.set(key.kid, imported);
    return imported;
  }

  /** Re-reads the keys when the copy is older than `RELOAD_MS`: another instance may have rotated. */
  private async fresh(): Promise<void> {
    if (Date.now() - this.#loadedAt > RELOAD_MS) await this.reload();
  }

  private async reload(): Promise<void> {
    this.#keys = await this.repository.list();
    this.#loadedAt = Date.now();
  }
}
