import * as E from 'fp-ts/lib/Either.js';
import { ApiErrors, type ApiError, type Validation } from '../../errors/api-error.js';
import { actorUserId, type Actor } from '../../model/api-key.js';
import { auditDiff, type AuditDiff } from '../../model/audit.js';
import {
  DEFAULT_GRANT_TYPES,
  GRANT_TYPES,
  registeredRedirectUris,
  type AppInput,
  type ClientId,
  type ClientType,
  type OAuthClient,
} from '../../model/client.js';
import { checkRedirectUri } from '../../model/redirect-uri.js';
import { machineScopes, parseScope, USER_ACTING_SCOPES } from '../../model/scope.js';
import type { Clock } from '../../ports/system.js';

export interface AppSettings {
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES` (docs/http-api.md#bearer-tokens). */
  readonly supportedScopes: readonly string[];
}

const scopeProblems = (scope: readonly string[] | undefined, settings: AppSettings): Validation[] => {
  const unsupported = (scope ?? []).filter((s) => !settings.supportedScopes.includes(s));
  return unsupported.length === 0
    ? []
    : [{ field: 'scope', detail: `unsupported scope values: ${unsupported.join(' ')}` }];
};

/**
 * The client credentials settings (docs/http-api.md#client-credentials-grant): only a confidential
 * app may enable the grant, and its scopes are supported ones that act for no user.
 */
const clientCredentialsProblems = (
  enabled: boolean | undefined,
  scope: readonly string[] | undefined,
  clientType: ClientType | undefined,
  settings: AppSettings,
): Validation[] => {
  const field = 'client_credentials_scope';
  const userActing = (scope ?? []).filter((s) => USER_ACTING_SCOPES.includes(s));
  const allowed = machineScopes(settings.supportedScopes);
  const unsupported = (scope ?? []).filter((s) => !USER_ACTING_SCOPES.includes(s) && !allowed.includes(s));
  return [
    ...(enabled === true && clientType === 'public'
      ? [
          {
            field: 'client_credentials',
            detail: 'only a confidential app may use the client credentials grant',
          },
        ]
      : []),
    ...(enabled !== true && (scope ?? []).length > 0
      ? [{ field, detail: 'needs client_credentials set to true' }]
      : []),
    ...(userActing.length > 0
      ? [
          {
            field,
            detail: `scopes that act for a user cannot be granted without one: ${userActing.join(' ')}`,
          },
        ]
      : []),
    ...(unsupported.length > 0
      ? [{ field, detail: `unsupported scope values: ${unsupported.join(' ')}` }]
      : []),
  ];
};

const redirectProblems = (input: AppInput, clientType: ClientType): Validation[] =>
  (input.redirectUris ?? []).flatMap((uri, i) =>
    E.match(
      (reason: string) => [{ field: `redirect_uris[${i}]`, detail: reason }],
      () => [],
    )(checkRedirectUri(uri, { kind: 'owner', allowCustomScheme: clientType === 'public' })),
  );

/**
 * Validates an owner's app body beyond its shape (docs/http-api.md#apps): redirect URIs under the owner
 * policy for the app's client type, scopes among the supported ones, and a client type that an
 * update does not change.
 */
export const checkAppInput = (
  input: AppInput,
  settings: AppSettings,
  existing: OAuthClient | undefined,
): E.Either<ApiError, ClientType> => {
  const clientType = existing?.clientType ?? input.clientType ?? 'confidential';
  const problems = [
    ...(existing !== undefined && input.clientType !== undefined && input.clientType !== existing.clientType
      ? [{ field: 'client_type', detail: 'cannot be changed after creation' }]
      : []),
    ...redirectProblems(input, clientType),
    ...scopeProblems(input.scope, settings),
    ...clientCredentialsProblems(input.clientCredentials, input.clientCredentialsScope, clientType, settings),
  ];
  return problems.length === 0
    ? E.right(clientType)
    : E.left(ApiErrors.badRequest('The request body is invalid.', problems));
};

/**
 * The client an owner's body describes; an update keeps id, type, creator and creation time. An app
 * the system creates has no creator.
 */
export const appFromInput = (
  id: ClientId,
  input: AppInput,
  clientType: ClientType,
  actor: Actor,
  clock: Clock,
  existing: OAuthClient | undefined,
): OAuthClient => {
  const now = clock.now();
  const scope = input.scope !== undefined && input.scope.length > 0 ? { scope: input.scope } : {};
  const machineScope =
    input.clientCredentials === true && (input.clientCredentialsScope ?? []).length > 0
      ? { clientCredentialsScope: input.clientCredentialsScope }
      : {};
  return {
    id,
    name: input.name,
    callbackUrl: input.callbackUrl,
    redirectUris: registeredRedirectUris(input.callbackUrl, input.redirectUris),
    icon: input.icon ?? '',
    clientType,
    dynamicallyRegistered: false,
    grantTypes: input.clientCredentials === true ? GRANT_TYPES : DEFAULT_GRANT_TYPES,
    responseTypes: ['code'],
    tokenEndpointAuthMethod: clientType === 'public' ? 'none' : 'client_secret_basic',
    ...scope,
    introspectAny: input.introspectAny ?? false,
    ...machineScope,
    metadata: {},
    createdBy: existing?.createdBy ?? actorUserId(actor),
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
};

/** The audited view of an app: its public fields by their contract names. */
export const appAuditView = (client: OAuthClient): Record<string, unknown> => ({
  name: client.name,
  callback_url: client.callbackUrl,
  redirect_uris: client.redirectUris,
  icon: client.icon,
  client_type: client.clientType,
  scope: client.scope?.join(' '),
  introspect_any: client.introspectAny,
  grant_types: client.grantTypes,
  client_credentials_scope: client.clientCredentialsScope?.join(' '),
  dynamically_registered: client.dynamicallyRegistered,
});

export const appDiff = (before: OAuthClient | undefined, after: OAuthClient | undefined): AuditDiff =>
  auditDiff(
    before === undefined ? undefined : appAuditView(before),
    after === undefined ? undefined : appAuditView(after),
  );

export const appNotFound = (): ApiError => ApiErrors.notFound('OAuth2 application not found.');

/**
 * Owners manage dynamically registered clients through RFC 7592, not the admin API
 * (docs/http-api.md#apps); a metadata document client is described by its document alone
 * (docs/http-api.md#client-id-metadata-documents): it can be listed and deleted, not edited.
 */
export const requireOwnerManaged = (client: OAuthClient): E.Either<ApiError, OAuthClient> => {
  if (client.metadataDocumentUrl !== undefined)
    return E.left(
      ApiErrors.conflict(
        'This client is described by its metadata document.',
        'Change the document at its client_id URL; block it with LATCHKEY_CIMD_BLOCKED.',
      ),
    );
  return client.dynamicallyRegistered
    ? E.left(
        ApiErrors.conflict(
          'This client was registered dynamically.',
          'Manage it through its client configuration endpoint (/oauth2/clients/{client_id}).',
        ),
      )
    : E.right(client);
};

/**
 * The value checks of `checkAppInput` that need neither the stored app nor a well-typed body, so
 * that a body failing its shape still gets every bad field named at once (docs/http-api.md#conventions). Custom
 * schemes are judged later, when the client type is known.
 */
export const looseAppProblems = (
  redirectUris: unknown,
  scope: unknown,
  settings: AppSettings,
  clientCredentialsScope?: unknown,
): Validation[] => [
  ...(Array.isArray(redirectUris)
    ? redirectUris.flatMap((uri: unknown, i) =>
        typeof uri === 'string'
          ? E.match(
              (reason: string) => [{ field: `redirect_uris[${i}]`, detail: reason }],
              () => [],
            )(checkRedirectUri(uri, { kind: 'owner', allowCustomScheme: true }))
          : [],
      )
    : []),
  ...(typeof scope === 'string' ? scopeProblems(parseScope(scope), settings) : []),
  ...(typeof clientCredentialsScope === 'string'
    ? clientCredentialsProblems(true, parseScope(clientCredentialsScope), undefined, settings)
    : []),
];
