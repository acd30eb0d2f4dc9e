import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encrypts the private signing keys at rest (docs/openid-connect.md#signing-keys): AES-256-GCM
 * from node:crypto, with a key derived by HKDF-SHA256 from `LATCHKEY_SIGNING_KEY_SECRET`, a fresh
 * 96-bit IV per key, and the key's `kid` as additional data, so a sealed key cannot be moved to
 * another row. Format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export class KeySealer {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'latchkey signing keys', 'aes-256-gcm v1', 32));
  }

  seal(kid: string, plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(kid, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, body, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or `undefined` when the secret is not the one it was sealed with (or it was altered). */
  open(kid: string, sealed: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || iv === undefined || body === undefined || tag === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(kid, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return undefined;
    }
  }
}
