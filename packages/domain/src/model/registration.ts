import * as E from 'fp-ts/lib/Either.js';
import { oauthError, type OAuthError } from '../errors/oauth-error.js';
import type { ClientMetadata, GrantType, TokenEndpointAuthMethod } from './client.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from './client.js';
import { checkRedirectUri } from './redirect-uri.js';

/**
 * RFC 7591 §2 client metadata as the HTTP adapter decoded it: camelCase names, each field of the
 * JSON type the RFC gives it, `null` (and, in a string field, `''`) dropped as omitted, unknown
 * fields left out. Whether the values are allowed is `checkRegistration`'s to decide.
 */
export interface ClientMetadataFields extends Omit<ClientMetadata, 'applicationType'> {
  readonly grantTypes?: readonly string[];
  readonly responseTypes?: readonly string[];
  readonly tokenEndpointAuthMethod?: string;
  readonly applicationType?: string;
  readonly scope?: string;
}

/** RFC 7592 §2.2: an update may also name the client and present its current secret. */
export interface ClientUpdateFields extends ClientMetadataFields {
  readonly clientId?: string;
  readonly clientSecret?: string;
}

/**
 * A registration body as the HTTP adapter decoded it. The redirect URIs stand apart because a
 * redirect URI problem wins over any other (docs/http-api.md#registration, "first failure wins"):
 * a field of the wrong type (`fields` is `Left`) is answered only once the redirect URIs passed.
 */
export interface RegistrationRequest<F extends ClientMetadataFields = ClientMetadataFields> {
  readonly redirectUris: readonly string[];
  readonly fields: E.Either<OAuthError, F>;
}

/**
 * RFC 7591 client metadata as Latchkey stores it (docs/http-api.md#registration), after validation.
 */
export interface RegistrationMetadata {
  readonly redirectUris: readonly string[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  readonly grantTypes: readonly GrantType[];
  readonly responseTypes: readonly 'code'[];
  /** As requested; the server drops what it does not grant (see `registrableScope`). */
  readonly scope?: string;
  /** Whether the request named a method (a PUT that omits it keeps the current one). */
  readonly authMethodGiven: boolean;
  readonly metadata: ClientMetadata;
}

/** Redirect URIs a client may register, and how long a list we accept. */
export const MAX_REGISTERED_REDIRECT_URIS = 100;

const redirectProblem = (description: string): E.Either<OAuthError, never> =>
  E.left(oauthError('invalid_redirect_uri', description));

const metadataProblem = (description: string): E.Either<OAuthError, never> =>
  E.left(oauthError('invalid_client_metadata', description));

const isHttpUrl = (value: string): boolean => {
  if (!/^https?:\/\/[^/?#\s]/i.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
};

/**
 * Step 1 of docs/http-api.md#registration: at least one redirect URI, at most
 * `MAX_REGISTERED_REDIRECT_URIS`, each allowed for a client that registers itself.
 *
 * @see RFC 7591 §2, RFC 8252 §7
 */
export const checkRedirectUris = (uris: readonly string[]): E.Either<OAuthError, readonly string[]> => {
  if (uris.length === 0) return redirectProblem('redirect_uris must be a non-empty array.');
  if (uris.length > MAX_REGISTERED_REDIRECT_URIS) {
    return redirectProblem(`At most ${MAX_REGISTERED_REDIRECT_URIS} redirect URIs may be registered.`);
  }
  for (const uri of uris) {
    const checked = checkRedirectUri(uri, { kind: 'dynamic' });
    if (E.isLeft(checked)) return redirectProblem(`A redirect URI ${checked.left}.`);
  }
  return E.right(uris);
};

/** `value` without the fields it leaves undefined: stored metadata holds only what was given. */
const definedFields = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const URL_FIELDS = ['clientUri', 'logoUri', 'tosUri', 'policyUri', 'jwksUri'] as const;

/** The wire names of `URL_FIELDS`, for the error description. */
const URL_FIELD_NAMES: Record<(typeof URL_FIELDS)[number], string> = {
  clientUri: 'client_uri',
  logoUri: 'logo_uri',
  tosUri: 'tos_uri',
  policyUri: 'policy_uri',
  jwksUri: 'jwks_uri',
};

/** Steps 2–8 of docs/http-api.md#registration, in that order: the first failure wins. */
export const checkClientMetadata = (
  redirectUris: readonly string[],
  fields: ClientMetadataFields,
): E.Either<OAuthError, RegistrationMetadata> => {
  const grants = fields.grantTypes ?? ['authorization_code', 'refresh_token'];
  if (
    !grants.every((g) => g === 'authorization_code' || g === 'refresh_token') ||
    !grants.includes('authorization_code')
  ) {
    return metadataProblem('grant_types must include authorization_code and may add only refresh_token.');
  }
  if (!(fields.responseTypes ?? ['code']).every((r) => r === 'code'))
    return metadataProblem('response_types may contain only code.');
  const method = fields.tokenEndpointAuthMethod;
  if (method !== undefined && !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(method)) {
    return metadataProblem(
      'token_endpoint_auth_method must be client_secret_basic, client_secret_post or none.',
    );
  }
  for (const name of URL_FIELDS) {
    const value = fields[name];
    if (value !== undefined && !isHttpUrl(value))
      return metadataProblem(`${URL_FIELD_NAMES[name]} must be an absolute http(s) URL.`);
  }
  if (fields.jwks !== undefined && fields.jwksUri !== undefined) {
    return metadataProblem('jwks and jwks_uri must not both be given.');
  }
  const applicationType = fields.applicationType;
  if (applicationType !== undefined && applicationType !== 'web' && applicationType !== 'native') {
    return metadataProblem('application_type must be web or native.');
  }
  if (fields.clientName !== undefined && fields.clientName.length > 256) {
    return metadataProblem('client_name must be at most 256 characters.');
  }

  const metadata = definedFields<ClientMetadata>({
    clientName: fields.clientName,
    clientUri: fields.clientUri,
    logoUri: fields.logoUri,
    tosUri: fields.tosUri,
    policyUri: fields.policyUri,
    jwksUri: fields.jwksUri,
    jwks: fields.jwks,
    contacts: fields.contacts?.length === 0 ? undefined : fields.contacts,
    softwareId: fields.softwareId,
    softwareVersion: fields.softwareVersion,
    applicationType,
  });
  return E.right({
    redirectUris,
    tokenEndpointAuthMethod: (method ?? 'client_secret_basic') as TokenEndpointAuthMethod,
    authMethodGiven: method !== undefined,
    grantTypes: [...new Set(grants)] as GrantType[],
    responseTypes: ['code'],
    ...(fields.scope === undefined ? {} : { scope: fields.scope }),
    metadata,
  });
};

/** A registration that passed every check, with the decoded fields it came from. */
export interface CheckedRegistration<F extends ClientMetadataFields> {
  readonly registration: RegistrationMetadata;
  readonly fields: F;
}

/**
 * Validates a decoded registration in the order of docs/http-api.md#registration, the first
 * failure winning: redirect URIs (`invalid_redirect_uri`), then a field of the wrong type, then
 * the values of the other fields (`invalid_client_metadata`).
 *
 * @see RFC 7591 §2, §3.2.2; RFC 8252 §7
 */
export const checkRegistration = <F extends ClientMetadataFields>(
  request: RegistrationRequest<F>,
): E.Either<OAuthError, CheckedRegistration<F>> => {
  const redirectUris = checkRedirectUris(request.redirectUris);
  if (E.isLeft(redirectUris)) return redirectUris;
  const { fields } = request;
  if (E.isLeft(fields)) return fields;
  const registration = checkClientMetadata(redirectUris.right, fields.right);
  return E.isLeft(registration)
    ? registration
    : E.right({ registration: registration.right, fields: fields.right });
};
