import type { ApiKey, ApiKeyKind } from '../model/api-key.js';
import { CREDENTIAL_BYTES, issueCredential, type IssuedCredential } from '../model/credential.js';
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
 * Mints an API key of `kind`: a fresh credential of that kind unless another is given (a JWT
 * access token's id), then a fresh id, in that order.
 */
export const newApiKey = (
  random: Pick<Random, 'bytes' | 'uuid'>,
  kind: ApiKeyKind,
  fields: ApiKeyFields,
  given?: IssuedCredential,
): NewApiKey => {
  const credential = given ?? issueCredential(kind, random.bytes(CREDENTIAL_BYTES));
  const id = random.uuid() as ApiKeyId;
  return { key: { ...fields, id, kind, digest: credential.digest }, token: credential.token };
};
