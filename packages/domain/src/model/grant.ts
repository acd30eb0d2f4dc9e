import type { ClientId } from './client.js';
import type { UserId } from './ids.js';

export type GrantId = string & { readonly GrantId: unique symbol };

/**
 * One user's consent to one client, with every code and token descended from it (docs/http-api.md#token).
 * Replay of a code or a rotated refresh token revokes the grant whole (RFC 9700 §4.14.2).
 */
export interface Grant {
  readonly id: GrantId;
  readonly clientId: ClientId;
  readonly userId: UserId;
  readonly scopes: readonly string[];
  /** The RFC 8707 resource the grant is bound to; the issuer when none was requested. */
  readonly resource: string;
  readonly createdAt: Date;
  /** `LATCHKEY_GRANT_MAX_TTL` after consent. */
  readonly expiresAt: Date;
  readonly revokedAt?: Date;
}

export const isGrantLive = (grant: Grant, now: Date): boolean =>
  grant.revokedAt === undefined && grant.expiresAt.getTime() > now.getTime();

/**
 * What the console shows of one client a user has authorized (docs/http-api.md#web-console): the
 * scopes of the live grants together, when the user first approved it, and when a token for it
 * was last issued (at the code exchange or a refresh), while any such token is still stored.
 */
export interface AuthorizationSummary {
  readonly clientId: ClientId;
  readonly scopes: readonly string[];
  readonly firstAuthorizedAt: Date;
  readonly lastUsedAt?: Date;
}
