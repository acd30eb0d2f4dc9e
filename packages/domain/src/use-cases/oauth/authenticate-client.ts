import * as E from 'fp-ts/lib/Either.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { ClientId, ClientSecretId, OAuthClient, TokenEndpointAuthMethod } from '../../model/client.js';
import { credentialDigest, digestsEqual, type CredentialDigest } from '../../model/credential.js';
import { Uuid } from '../../model/ids.js';
import type { Ports } from '../../ports/index.js';
import type { SecretWithClient } from '../../ports/client-repository.js';
import { asTask, oauthPortFailure, tryPort, type Outcome } from '../support.js';
import { isClientIdUrl } from '../../model/client-metadata-document.js';
import type { MetadataDocumentClients } from './metadata-document-clients.js';

/**
 * The client credentials of a token, revocation or introspection request, as the HTTP adapter
 * read them: the Basic header's parts (already form-decoded, RFC 6749 §2.3.1) and the body's.
 */
export interface PresentedClientCredentials {
  readonly basic?: { readonly clientId: string; readonly clientSecret: string };
  readonly bodyClientId?: string;
  readonly bodyClientSecret?: string;
}

export interface AuthenticatedClient {
  readonly client: OAuthClient;
  readonly method: TokenEndpointAuthMethod;
  /** The secret that authenticated, for confidential clients. */
  readonly secretId?: ClientSecretId;
}

const invalidClient = (logDetail: string): OAuthError =>
  oauthError('invalid_client', 'Client authentication failed.', { logDetail });

/** Which client a request says it is, and how it proves it. */
export interface ClientClaim {
  readonly method: TokenEndpointAuthMethod;
  readonly clientId: string;
  readonly secret?: string;
}

/**
 * Which named strategy the request uses (RFC 6749 §2.3): `client_secret_basic`,
 * `client_secret_post`, or `none`. More than one at once is `invalid_request`.
 */
export const claimedAuthentication = (
  presented: PresentedClientCredentials,
): E.Either<OAuthError, ClientClaim> => {
  const { basic, bodyClientId, bodyClientSecret } = presented;
  if (basic !== undefined) {
    if (bodyClientSecret !== undefined) {
      return E.left(oauthError('invalid_request', 'Use one client authentication method, not several.'));
    }
    if (bodyClientId !== undefined && bodyClientId !== basic.clientId) {
      return E.left(
        oauthError('invalid_request', 'The client_id in the body does not match the authenticated client.'),
      );
    }
    return E.right({ method: 'client_secret_basic', clientId: basic.clientId, secret: basic.clientSecret });
  }
  if (bodyClientId === undefined) return E.left(invalidClient('no client credentials'));
  return E.right(
    bodyClientSecret === undefined
      ? { method: 'none', clientId: bodyClientId }
      : { method: 'client_secret_post', clientId: bodyClientId, secret: bodyClientSecret },
  );
};

/**
 * A `none` claim (RFC 6749 §2.1): the client it names must exist and be public; a confidential
 * client must prove a secret on every request (docs/http-api.md#token).
 */
export const checkPublicClaim = (
  client: OAuthClient | undefined,
): E.Either<OAuthError, AuthenticatedClient> => {
  if (client === undefined) return E.left(invalidClient('unknown client'));
  return client.clientType === 'public'
    ? E.right({ client, method: 'none' })
    : E.left(invalidClient('a confidential client must authenticate'));
};

/**
 * A secret claim (RFC 6749 §2.3.1): the secret found by the presented one's digest must belong to
 * the claimed client, which must be confidential. `Left` means "not authenticated"; why is
 * worked out only then (`explainFailure`).
 */
export const checkSecretClaim = (
  claim: ClientClaim,
  digest: CredentialDigest,
  match: SecretWithClient | undefined,
): E.Either<'not_authenticated', AuthenticatedClient> =>
  match !== undefined &&
  match.client.id === claim.clientId.toLowerCase() &&
  match.client.clientType === 'confidential' &&
  match.secret.clientId === match.client.id &&
  digestsEqual(match.secret.digest, digest)
    ? E.right({ client: match.client, method: claim.method, secretId: match.secret.id })
    : E.left('not_authenticated');

/** Only every minute per secret, and never on the request's path (docs/http-api.md#apps). */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Authenticates the client of a token-endpoint-style request. A confidential client must prove a
 * secret of **that** client on every request; a public client sends only its id. Records the
 * secret's use coarsely, outside any transaction.
 *
 * @see RFC 6749 §2.3, §3.2.1; docs/http-api.md#token
 */
export const makeAuthenticateClient = (
  deps: Pick<Ports, 'clients' | 'clientSecrets' | 'clock'>,
  metadataDocuments?: MetadataDocumentClients,
) => {
  const lastRecorded = new Map<string, number>();
  const recordUse = (secretId: ClientSecretId): void => {
    const now = deps.clock.now();
    const last = lastRecorded.get(secretId);
    if (last !== undefined && now.getTime() - last < LAST_USED_RESOLUTION_MS) return;
    lastRecorded.set(secretId, now.getTime());
    if (lastRecorded.size > 10_000) lastRecorded.clear();
    deps.clientSecrets.recordUse(secretId, now).catch(() => {
      // Bookkeeping only: a failure here must not fail or slow the token request.
    });
  };

  /**
   * The client the request names, if there is one: by its UUID, or by its metadata document URL
   * when those are on (docs/http-api.md#client-id-metadata-documents: a document that cannot be
   * had makes the client unknown). A metadata document client is never named by its stored id.
   */
  const findClaimedClient = async (
    claim: ClientClaim,
  ): Promise<E.Either<OAuthError, OAuthClient | undefined>> => {
    if (isClientIdUrl(claim.clientId) && metadataDocuments !== undefined) {
      const resolved = await metadataDocuments.resolve(claim.clientId);
      if (E.isRight(resolved)) return resolved;
      const failure = resolved.left;
      if (failure.kind === 'storage') return E.left(oauthPortFailure(failure.cause));
      return E.left(
        invalidClient(
          failure.kind === 'blocked' ? 'blocked client id URL' : `metadata document: ${failure.detail}`,
        ),
      );
    }
    if (!Uuid.is(claim.clientId)) return E.right(undefined);
    const found = await tryPort(
      () => deps.clients.findById(claim.clientId.toLowerCase() as ClientId),
      oauthPortFailure,
    );
    return E.isRight(found) && found.right?.metadataDocumentUrl !== undefined ? E.right(undefined) : found;
  };

  /** Why a request's client is not authenticated: the slow path, taken only on failure. */
  const explainFailure = async (
    claim: ClientClaim,
    secretProblem: string,
  ): Promise<E.Either<OAuthError, never>> => {
    const client = await findClaimedClient(claim);
    if (E.isLeft(client)) return client;
    if (client.right === undefined) return E.left(invalidClient('unknown client'));
    if (client.right.clientType === 'public') return E.left(invalidClient('a public client has no secret'));
    return E.left(invalidClient(secretProblem));
  };

  const publicClient = async (claim: ClientClaim): Promise<E.Either<OAuthError, AuthenticatedClient>> => {
    const found = await findClaimedClient(claim);
    return E.isLeft(found) ? found : checkPublicClaim(found.right);
  };

  /** One read: the presented secret with its client, which must be the claimed one. */
  const confidentialClient = async (
    claim: ClientClaim,
    secret: string,
  ): Promise<E.Either<OAuthError, AuthenticatedClient>> => {
    const digest = credentialDigest('clientSecret', secret);
    if (digest === undefined) return explainFailure(claim, 'malformed client secret');
    const found = await tryPort(() => deps.clientSecrets.findWithClient(digest), oauthPortFailure);
    if (E.isLeft(found)) return found;
    const checked = checkSecretClaim(claim, digest, found.right);
    if (E.isLeft(checked)) return explainFailure(claim, 'wrong client secret');
    if (checked.right.secretId !== undefined) recordUse(checked.right.secretId);
    return checked;
  };

  const authenticate = (presented: PresentedClientCredentials): Outcome<OAuthError, AuthenticatedClient> => {
    const claimed = claimedAuthentication(presented);
    if (E.isLeft(claimed)) return Promise.resolve(claimed);
    const claim = claimed.right;
    return claim.secret === undefined ? publicClient(claim) : confidentialClient(claim, claim.secret);
  };

  return asTask(authenticate);
};

export type AuthenticateClient = ReturnType<typeof makeAuthenticateClient>;
