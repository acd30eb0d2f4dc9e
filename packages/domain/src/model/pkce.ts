import { createHash } from 'node:crypto';
import { digestsEqual } from './credential.js';

/**
 * PKCE (RFC 7636). Latchkey accepts only S256 for every client (OAuth 2.1 §4.1.1, docs/http-api.md#authorize):
 * `plain` and an omitted method (which RFC 7636 §4.3 defines as `plain`) are refused.
 */
const CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export const isValidCodeChallenge = (challenge: string): boolean => CHALLENGE.test(challenge);

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge. */
export const verifyCodeVerifier = (verifier: string, challenge: string): boolean =>
  VERIFIER.test(verifier) &&
  digestsEqual(createHash('sha256').update(verifier, 'ascii').digest('base64url'), challenge);
