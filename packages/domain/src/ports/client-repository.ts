import type { AuditEntry } from '../model/audit.js';
import type { ClientId, ClientSecret, ClientSecretId, OAuthClient } from '../model/client.js';
import type { CredentialDigest } from '../model/credential.js';
import type { UserId } from '../model/ids.js';
import type { Page } from './user-repository.js';

export interface AbandonedClientCriteria {
  readonly registeredBefore: Date;
  readonly idleSince: Date;
  readonly now: Date;
}

export interface ClientQuery extends Page {
  readonly dynamicallyRegistered?: boolean;
}

/**
 * OAuth2 clients (docs/http-api.md#apps, #registration). Deleting a client removes everything derived from it —
 * secrets, grants, codes, tokens — in the same statement.
 */
export interface ClientRepository {
  insert(client: OAuthClient): Promise<void>;
  /**
   * A self-registered client, its secret (a confidential client's) and the audit entry of its
   * registration, stored all or nothing (RFC 7591 §3; docs/http-api.md#registration). One
   * statement on PostgreSQL: the registration's only round trip.
   */
  insertRegistered(client: OAuthClient, secret: ClientSecret | undefined, audit: AuditEntry): Promise<void>;
  /**
   * Replaces the stored client with the same id, but for `firstTokenAt`, which keeps its stored
   * value; `false` when there is none.
   */
  update(client: OAuthClient): Promise<boolean>;
  /**
   * Records that the client completed a token request at `at`, unless it already had: the first
   * time stays. A no-op for an unknown client.
   */
  recordFirstToken(id: ClientId, at: Date): Promise<void>;
  delete(id: ClientId): Promise<boolean>;
  findById(id: ClientId): Promise<OAuthClient | undefined>;
  /** Ordered by name, then id. */
  list(query: ClientQuery): Promise<OAuthClient[]>;
  /**
   * Deletes abandoned dynamically registered clients (docs/http-api.md#registration) and returns them: those
   * registered before `registeredBefore` that never completed a token request (no
   * `firstTokenAt`), and those that did but have no live grant at `now` and whose grants all
   * ended (revoked or expired) before `idleSince` (with none left, `firstTokenAt` stands in for
   * the end of the last one).
   */
  deleteAbandoned(criteria: AbandonedClientCriteria): Promise<OAuthClient[]>;
  /**
   * Stores a metadata document client (docs/http-api.md#client-id-metadata-documents) keyed by
   * its `metadataDocumentUrl`: inserted with `client.id` the first time, else the stored row
   * takes the document's fields and keeps its id, `createdAt` and `firstTokenAt`. Returns the
   * stored client. One statement.
   */
  saveMetadataDocumentClient(client: OAuthClient): Promise<OAuthClient>;
  /** The stored metadata document client of that URL (exact string), if any. */
  findByMetadataDocumentUrl(url: string): Promise<OAuthClient | undefined>;
  /** Clients `userId` has a live grant for at `now`, ordered by name, then id. */
  listGrantedTo(userId: UserId, now: Date, page: Page): Promise<OAuthClient[]>;
  /**
   * When each of `ids` was last issued an access token, among the tokens still stored; a client
   * with none is left out (docs/http-api.md#web-console).
   */
  lastIssued(ids: readonly ClientId[]): Promise<ClientLastIssued[]>;
}

/** When a client was last issued an access token. */
export interface ClientLastIssued {
  readonly clientId: ClientId;
  readonly at: Date;
}

/** A client secret and its client, read together. */
export interface SecretWithClient {
  readonly secret: ClientSecret;
  readonly client: OAuthClient;
}

/** Client secrets, by digest (docs/http-api.md#apps, #credentials-at-rest). */
export interface ClientSecretRepository {
  /** `client_missing` when the client is gone (deleted concurrently): nothing is written. */
  insert(secret: ClientSecret): Promise<'inserted' | 'client_missing'>;
  /** Oldest first. */
  listForClient(clientId: ClientId): Promise<ClientSecret[]>;
  findByDigest(digest: CredentialDigest): Promise<ClientSecret | undefined>;
  /** The secret with this digest and the client it belongs to, in one read. */
  findWithClient(digest: CredentialDigest): Promise<SecretWithClient | undefined>;
  /** Deletes a secret of that client only; `false` when it has no such secret. */
  delete(clientId: ClientId, id: ClientSecretId): Promise<boolean>;
  /**
   * Records that a secret authenticated at `at`, coarsely: a no-op when the stored time is less
   * than a minute old, so that a busy client does not serialise on one hot row (docs/http-api.md#apps).
   * Called outside the token transaction.
   */
  recordUse(id: ClientSecretId, at: Date): Promise<void>;
}
