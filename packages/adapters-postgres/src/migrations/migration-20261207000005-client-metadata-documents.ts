import { Migration } from '@mikro-orm/migrations';

/**
 * `oauth2_clients.metadata_document_url`: the Client ID Metadata Document URL of a client that
 * is known by it (docs/http-api.md#client-id-metadata-documents). Such a client is stored, keyed
 * by that URL, on its first successful use, so that its grants, codes and tokens have a row to
 * belong to (and are deleted with it); its `id` stays an internal key. Null for every other
 * client: the unique constraint lets any number of nulls stand.
 */
export class Migration20261207000005ClientMetadataDocuments extends Migration {
  override up(): void {
    this.addSql(`
      alter table oauth2_clients
        add column metadata_document_url text
          constraint oauth2_clients_metadata_document_url_key unique`);
  }

  override down(): void {
    this.addSql('alter table oauth2_clients drop column if exists metadata_document_url');
  }
}
