import type * as E from 'fp-ts/lib/Either.js';
import type { CacheDirectives, MetadataDocument } from '../model/client-metadata-document.js';

/** A fetched, decoded metadata document and what its response said about caching. */
export interface FetchedMetadataDocument {
  readonly document: MetadataDocument;
  readonly cache: CacheDirectives;
}

/**
 * Fetches Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document §5,
 * docs/http-api.md#client-id-metadata-documents). The adapter owns the network rules: public
 * addresses only, the address it checked is the one it connects to, no redirects, a size cap, a
 * timeout, JSON only. `Left`: why the document could not be had (for the log, never for the
 * client). Never rejects.
 */
export interface ClientMetadataDocuments {
  fetch(url: string): Promise<E.Either<string, FetchedMetadataDocument>>;
}
