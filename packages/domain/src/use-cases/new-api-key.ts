import type { ApiKey, ApiKeyKind } from '../model/api-key.js';
import { CREDENTIAL_BYTES, issueCredential } from '../model/credential.js';
import type { ApiKeyId } from '../model/ids.js';
import type { Random } from '../ports/system.js';

/** What a new key says beyond its identity and credential: whom it acts for, how far, until when. */
export type ApiKeyFields = Omit<ApiKey, 'id' | 'kind' | 'digest' | 'revokedAt'>;

/** A new API key: the row to store, which holds only the digest, and the token its holder gets once. */
export interface NewApiKey {
  readonly key: ApiKey;
  readonly token: string;
}

/**
 * Mints an API key of `kind` (a session, a client credentials token): a fresh credential of that
 * kind, then a fresh id, drawn in that order. The token endpoint's access tokens are written out
 * in `mintTokens` instead (issue-tokens.ts says why).
 */
export const newApiKey = (
  random: Pick<Random, 'bytes' | 'uuid'>,
  kind: ApiKeyKind,
  fields: ApiKeyFields,
): NewApiKey => {
  const credential = issueCredential(kind, random.bytes(CREDENTIAL_BYTES));
  const id = random.uuid() as ApiKeyId;
  // Fields last: on Node 20 a row made by spreading first and adding properties after costs
  // several times as much (see mintTokens in oauth/issue-tokens.ts).
  return { key: { id, kind, digest: credential.digest, ...fields }, token: credential.token };
};
