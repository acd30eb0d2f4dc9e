import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261127000001Init } from './migration-20261127000001-init.js';
import { Migration20261127000002OAuth2Clients } from './migration-20261127000002-oauth2-clients.js';
import { Migration20261127000003AuthorizationCodeFlow } from './migration-20261127000003-authorization-code-flow.js';
import { Migration20261127000004ClientFirstToken } from './migration-20261127000004-client-first-token.js';
import { Migration20261207000005ClientMetadataDocuments } from './migration-20261207000005-client-metadata-documents.js';
import { Migration20261207000006SessionDetails } from './migration-20261207000006-session-details.js';
import { Migration20261207000007RateLimits } from './migration-20261207000007-rate-limits.js';
import { Migration20261207000008SigningKeys } from './migration-20261207000008-signing-keys.js';
import { Migration20261207000009OpenIdConnectTerms } from './migration-20261207000009-openid-connect-terms.js';
import { Migration20261207120000ClientCredentials } from './migration-20261207120000-client-credentials.js';

/**
 * Every migration, oldest first. Listed explicitly rather than globbed from disk so that the set
 * that runs is exactly the set that was compiled, wherever `dist` is deployed. Names are spelled
 * out because they are stored in `mikro_orm_migrations` and must survive a minifier.
 */
export const MIGRATIONS: MigrationObject[] = [
  { name: 'Migration20261127000001Init', class: Migration20261127000001Init },
  { name: 'Migration20261127000002OAuth2Clients', class: Migration20261127000002OAuth2Clients },
  {
    name: 'Migration20261127000003AuthorizationCodeFlow',
    class: Migration20261127000003AuthorizationCodeFlow,
  },
  { name: 'Migration20261127000004ClientFirstToken', class: Migration20261127000004ClientFirstToken },
  {
    name: 'Migration20261207000005ClientMetadataDocuments',
    class: Migration20261207000005ClientMetadataDocuments,
  },
  { name: 'Migration20261207000006SessionDetails', class: Migration20261207000006SessionDetails },
  { name: 'Migration20261207000007RateLimits', class: Migration20261207000007RateLimits },
  { name: 'Migration20261207000008SigningKeys', class: Migration20261207000008SigningKeys },
  {
    name: 'Migration20261207000009OpenIdConnectTerms',
    class: Migration20261207000009OpenIdConnectTerms,
  },
  { name: 'Migration20261207120000ClientCredentials', class: Migration20261207120000ClientCredentials },
];
