import type { SigningAlgorithm } from '../model/signing-key.js';

/** JWT claims as they go on the wire (RFC 7519 §4). */
export type JwtClaims = Readonly<Record<string, unknown>>;

/**
 * Signs and checks the JWTs Latchkey issues, with the shared signing keys
 * (docs/openid-connect.md#signing-keys): ID tokens (`typ: JWT`, OIDC Core §2) and JWT access
 * tokens (`typ: at+jwt`, RFC 9068 §2.1). The key that signs is the active key of the algorithm.
 */
export interface TokenSigner {
  sign(
    claims: JwtClaims,
    options: { readonly typ: 'JWT' | 'at+jwt'; readonly alg: SigningAlgorithm },
  ): Promise<string>;
  /**
   * The claims of a JWT signed by a published key of this server with header `typ`, issued by
   * this issuer and not expired; `undefined` for anything else (a tampered, foreign or
   * malformed token).
   */
  verify(token: string, typ: 'at+jwt'): Promise<JwtClaims | undefined>;
}
