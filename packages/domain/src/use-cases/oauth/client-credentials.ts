import * as E from 'fp-ts/lib/Either.js';
import * as TE from 'fp-ts/lib/TaskEither.js';
import { oauthError, type OAuthError } from '../../errors/oauth-error.js';
import type { ApiKey } from '../../model/api-key.js';
import { newApiKey } from '../new-api-key.js';
import type { RequestMeta } from '../../model/audit.js';
import { isSelfDescribed, type OAuthClient } from '../../model/client.js';
import { normaliseResource } from '../../model/resource.js';
import { formatScope, machineScopes, parseScope } from '../../model/scope.js';
import type { Ports } from '../../ports/index.js';
import type { Repositories } from '../../ports/transactor.js';
import { auditEntry } from '../audit-entry.js';
import { oauthPortFailure, tryPort, tryTransaction, type Outcome } from '../support.js';
import type { AuthenticatedClient } from './authenticate-client.js';
import type { TokenResponse } from './issue-tokens.js';
import { addSeconds, type OAuthSettings } from './settings.js';

/** `grant_type=client_credentials` (RFC 6749 §4.4.2) as the HTTP adapter decoded it. */
export interface ClientCredentialsGrant {
  readonly grantType: 'client_credentials';
  readonly scope?: string;
  readonly resource?: string;
}

/**
 * RFC 6749 §4.4: only a confidential client that authenticated with a secret, and never one that
 * described itself (DCR, metadata document), whatever its stored grant types say.
 */
const checkMachineClient = (client: AuthenticatedClient): E.Either<OAuthError, OAuthClient> =>
  client.client.clientType === 'confidential' &&
  client.method !== 'none' &&
  !isSelfDescribed(client.client) &&
  client.client.grantTypes.includes('client_credentials')
    ? E.right(client.client)
    : E.left(oauthError('unauthorized_client', 'The client is not registered for this grant type.'));

/**
 * The token's scope (docs/http-api.md#client-credentials-grant): what the app allows that is still
 * supported and acts for no user; a requested value outside it is `invalid_scope` (RFC 6749
 * §5.2), and so is a request that would end with no scope at all (RFC 6749 §3.3).
 */
export const clientCredentialsScope = (
  client: OAuthClient,
  requested: string | undefined,
  settings: Pick<OAuthSettings, 'supportedScopes'>,
): E.Either<OAuthError, readonly string[]> => {
  const grantable = machineScopes(settings.supportedScopes);
  const allowed = (client.clientCredentialsScope ?? []).filter((s) => grantable.includes(s));
  const asked = parseScope(requested);
  if (asked.some((s) => !allowed.includes(s)))
    return E.left(oauthError('invalid_scope', 'The requested scope is not allowed for this client.'));
  const scopes = asked.length > 0 ? asked : allowed;
  return scopes.length > 0
    ? E.right(scopes)
    : E.left(oauthError('invalid_scope', 'The client is allowed no scope for this grant.'));
};

/** RFC 8707 §2, as at authorize: an allowed resource, else `invalid_target`; none means the issuer. */
export const clientCredentialsResource = (
  requested: string | undefined,
  settings: Pick<OAuthSettings, 'issuer' | 'allowedResources'>,
): E.Either<OAuthError, string> => {
  if (requested === undefined) return E.right(settings.issuer);
  const resource = normaliseResource(requested);
  return resource !== undefined && settings.allowedResources.includes(resource)
    ? E.right(resource)
    : E.left(oauthError('invalid_target', 'The resource is not served by this authorization server.'));
};

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4): an access token for the client itself, with no
 * user and no grant, so no refresh token (§4.4.3). The token and its audit entry are written in
 * one transaction (docs/http-api.md#audit-log).
 */
export const makeClientCredentials = (
  deps: Pick<Ports, 'transactor' | 'clock' | 'random'>,
  settings: OAuthSettings,
) => {
  const store = async (tx: Repositories, key: ApiKey, meta: RequestMeta): Outcome<OAuthError, void> => {
    const inserted = await tryPort(() => tx.apiKeys.insert(key), oauthPortFailure);
    if (E.isLeft(inserted)) return inserted;
    const entry = auditEntry(
      deps,
      meta,
    )({
      action: 'create',
      resourceType: 'api_key',
      resourceId: key.id,
      status: 200,
      diff: {
        grant_type: { new: 'client_credentials' },
        client_id: { new: key.clientId },
        scope: { new: formatScope(key.scopes) },
        ...(key.audience === undefined ? {} : { audience: { new: key.audience } }),
        expires_at: { new: key.expiresAt.toISOString() },
      },
    });
    return tryPort(() => tx.audit.append(entry), oauthPortFailure);
  };

  const issue = async (
    authenticated: AuthenticatedClient,
    params: ClientCredentialsGrant,
    meta: RequestMeta,
  ): Outcome<OAuthError, TokenResponse> => {
    const client = checkMachineClient(authenticated);
    if (E.isLeft(client)) return client;
    const scopes = clientCredentialsScope(client.right, params.scope, settings);
    if (E.isLeft(scopes)) return scopes;
    const resource = clientCredentialsResource(params.resource, settings);
    if (E.isLeft(resource)) return resource;
    const now = deps.clock.now();
    const { key, token } = newApiKey(deps.random, 'access', {
      scopes: scopes.right,
      audience: resource.right,
      clientId: client.right.id,
      ...(authenticated.secretId === undefined ? {} : { secretId: authenticated.secretId }),
      createdAt: now,
      expiresAt: addSeconds(now, settings.accessTokenTtlSeconds),
    });
    const stored = await tryTransaction(deps.transactor, (tx) => store(tx, key, meta), oauthPortFailure);
    if (E.isLeft(stored)) return stored;
    return E.right({
      accessToken: token,
      tokenType: 'Bearer',
      expiresIn: settings.accessTokenTtlSeconds,
      scope: formatScope(key.scopes),
    });
  };

  return (
      client: AuthenticatedClient,
      params: ClientCredentialsGrant,
      meta: RequestMeta,
    ): TE.TaskEither<OAuthError, TokenResponse> =>
    () =>
      issue(client, params, meta);
};
