import * as E from 'fp-ts/lib/Either.js';
import {
  cacheLifetimeSeconds,
  checkClientIdUrl,
  checkMetadataDocument,
  isBlockedClientIdUrl,
  metadataDocumentClient,
  type CacheBounds,
} from '../../model/client-metadata-document.js';
import type { ClientId, OAuthClient } from '../../model/client.js';
import type { ClientMetadataDocuments } from '../../ports/client-metadata-documents.js';
import type { Ports } from '../../ports/index.js';

/** Settings of Client ID Metadata Documents (docs/http-api.md#client-id-metadata-documents). */
export interface MetadataDocumentSettings {
  /** `LATCHKEY_CIMD_BLOCKED`: exact client id URLs, or domains (a domain covers its subdomains). */
  readonly blocked: readonly string[];
  readonly cache: CacheBounds;
  /** Documents kept at once; the least recently used goes first. */
  readonly maxCachedDocuments: number;
  /**
   * Told why a document could not be used (for the operator's log; the client only learns that it
   * is unknown).
   */
  readonly onUnusable?: (url: string, detail: string) => void;
}

/** Why a metadata document client cannot be used. */
export type MetadataDocumentFailure =
  | { readonly kind: 'blocked' }
  /** A bad URL, a failed fetch or an invalid document: `detail` is for the log only. */
  | { readonly kind: 'unusable'; readonly detail: string }
  /** Storing the client failed. */
  | { readonly kind: 'storage'; readonly cause: unknown };

interface Cached {
  readonly client: OAuthClient;
  readonly expiresAt: number;
}

/**
 * Resolves a client id URL to a client (draft-ietf-oauth-client-id-metadata-document §5): checks
 * the URL and the block list, then uses the cached document or fetches it, validates it, and
 * stores the client so that its grants have a row to belong to. Documents are cached for the
 * lifetime their response allows within the bounds (§5.2), by the domain clock, least recently
 * used first out; concurrent lookups of one URL share one fetch.
 */
export const makeMetadataDocumentClients = (
  deps: Pick<Ports, 'clients' | 'clock' | 'random'>,
  documents: ClientMetadataDocuments,
  settings: MetadataDocumentSettings,
) => {
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<E.Either<MetadataDocumentFailure, OAuthClient>>>();

  const remember = (url: string, client: OAuthClient, lifetimeSeconds: number): void => {
    cache.delete(url);
    cache.set(url, { client, expiresAt: deps.clock.now().getTime() + lifetimeSeconds * 1000 });
    while (cache.size > settings.maxCachedDocuments) {
      const oldest = cache.keys().next();
      if (oldest.done === true) break;
      cache.delete(oldest.value);
    }
  };

  const cached = (url: string): OAuthClient | undefined => {
    const entry = cache.get(url);
    if (entry === undefined) return undefined;
    cache.delete(url);
    if (entry.expiresAt <= deps.clock.now().getTime()) return undefined;
    cache.set(url, entry);
    return entry.client;
  };

  const fetchAndStore = async (url: string): Promise<E.Either<MetadataDocumentFailure, OAuthClient>> => {
    let fetched;
    try {
      fetched = await documents.fetch(url);
    } catch (error) {
      fetched = E.left(error instanceof Error ? error.message : 'fetch failed');
    }
    if (E.isLeft(fetched)) return E.left({ kind: 'unusable', detail: fetched.left });
    const checked = checkMetadataDocument(url, fetched.right.document);
    if (E.isLeft(checked)) return E.left({ kind: 'unusable', detail: checked.left });
    const candidate = metadataDocumentClient(checked.right, deps.random.uuid() as ClientId, deps.clock.now());
    let stored: OAuthClient;
    try {
      stored = await deps.clients.saveMetadataDocumentClient(candidate);
    } catch (cause) {
      return E.left({ kind: 'storage', cause });
    }
    remember(url, stored, cacheLifetimeSeconds(fetched.right.cache, settings.cache));
    return E.right(stored);
  };

  const reported = (
    url: string,
    result: E.Either<MetadataDocumentFailure, OAuthClient>,
  ): E.Either<MetadataDocumentFailure, OAuthClient> => {
    if (E.isLeft(result) && result.left.kind === 'unusable') settings.onUnusable?.(url, result.left.detail);
    return result;
  };

  const resolve = async (url: string): Promise<E.Either<MetadataDocumentFailure, OAuthClient>> => {
    const shape = checkClientIdUrl(url);
    if (E.isLeft(shape)) return E.left({ kind: 'unusable', detail: `client id URL ${shape.left}` });
    if (isBlockedClientIdUrl(url, settings.blocked)) return E.left({ kind: 'blocked' });
    const hit = cached(url);
    if (hit !== undefined) return E.right(hit);
    const pending = inFlight.get(url);
    if (pending !== undefined) return pending;
    const started = fetchAndStore(url)
      .then((result) => reported(url, result))
      .finally(() => {
        inFlight.delete(url);
      });
    inFlight.set(url, started);
    return started;
  };

  return { resolve };
};

/** Resolves client id URLs to clients; absent when metadata documents are off. */
export type MetadataDocumentClients = ReturnType<typeof makeMetadataDocumentClients>;
