import * as E from 'fp-ts/lib/Either.js';
import type { OAuthErrorCode } from '../errors/oauth-error.js';
import type { ClientMetadata, GrantType, TokenEndpointAuthMethod } from './client.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from './client.js';
import { checkRedirectUri } from './redirect-uri.js';

/**
 * RFC 7591 client metadata as Latchkey stores it (docs/http-api.md#registration), after validation. Unknown fields
 * are ignored (RFC 7591 §2); an empty string in an optional field counts as omitted.
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

export interface RegistrationProblem {
  readonly code: Extract<OAuthErrorCode, 'invalid_redirect_uri' | 'invalid_client_metadata'>;
  readonly description: string;
}

/** Redirect URIs a client may register, and how long a list we accept. */
export const MAX_REGISTERED_REDIRECT_URIS = 100;

const problem = (
  code: RegistrationProblem['code'],
  description: string,
): E.Either<RegistrationProblem, never> => E.left({ code, description });

const metadataProblem = (description: string): E.Either<RegistrationProblem, never> =>
  problem('invalid_client_metadata', description);

/** An optional string field; `''` counts as omitted. */
const optionalString = (
  body: Readonly<Record<string, unknown>>,
  name: string,
): E.Either<RegistrationProblem, string | undefined> => {
  const value = body[name];
  if (value === undefined || value === null || value === '') return E.right(undefined);
  return typeof value === 'string' ? E.right(value) : metadataProblem(`${name} must be a string`);
};

const isHttpUrl = (value: string): boolean => {
  if (!/^https?:\/\/[^/?#\s]/i.test(value)) return false;
  try {
    return new URL(value).hostname !== '';
  } catch {
    return false;
  }
};

const stringList = (
  body: Readonly<Record<string, unknown>>,
  name: string,
): E.Either<RegistrationProblem, readonly string[] | undefined> => {
  const value = body[name];
  if (value === undefined || value === null) return E.right(undefined);
  return Array.isArray(value) && value.every((v) => typeof v === 'string')
    ? E.right(value)
    : metadataProblem(`${name} must be an array of strings`);
};

/**
 * Validates a registration body in the order of docs/http-api.md#registration; the first failure wins.
 *
 * @see RFC 7591 §2, §3.2.2; RFC 8252 §7
 */
export const decodeRegistration = (input: unknown): E.Either<RegistrationProblem, RegistrationMetadata> => {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return metadataProblem('The body must be a JSON object.');
  }
  const body = input as Readonly<Record<string, unknown>>;

  const redirectUris = body.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    return problem('invalid_redirect_uri', 'redirect_uris must be a non-empty array.');
  }
  if (redirectUris.length > MAX_REGISTERED_REDIRECT_URIS) {
    return problem(
      'invalid_redirect_uri',
      `At most ${MAX_REGISTERED_REDIRECT_URIS} redirect URIs may be registered.`,
    );
  }
  for (const uri of redirectUris) {
    if (typeof uri !== 'string')
      return problem('invalid_redirect_uri', 'Each redirect URI must be a string.');
    const checked = checkRedirectUri(uri, { kind: 'dynamic' });
    if (E.isLeft(checked)) return problem('invalid_redirect_uri', `A redirect URI ${checked.left}.`);
  }

  const grantTypes = stringList(body, 'grant_types');
  if (E.isLeft(grantTypes)) return grantTypes;
  const grants = grantTypes.right ?? ['authorization_code', 'refresh_token'];
  if (
    !grants.every((g) => g === 'authorization_code' || g === 'refresh_token') ||
    !grants.includes('authorization_code')
  ) {
    return metadataProblem('grant_types must include authorization_code and may add only refresh_token.');
  }

  const responseTypes = stringList(body, 'response_types');
  if (E.isLeft(responseTypes)) return responseTypes;
  const responses = responseTypes.right ?? ['code'];
  if (!responses.every((r) => r === 'code')) return metadataProblem('response_types may contain only code.');

  const method = optionalString(body, 'token_endpoint_auth_method');
  if (E.isLeft(method)) return method;
  if (
    method.right !== undefined &&
    !(TOKEN_ENDPOINT_AUTH_METHODS as readonly string[]).includes(method.right)
  ) {
    return metadataProblem(
      'token_endpoint_auth_method must be client_secret_basic, client_secret_post or none.',
    );
  }

  const urls: Record<string, string | undefined> = {};
  for (const name of ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'jwks_uri']) {
    const value = optionalString(body, name);
    if (E.isLeft(value)) return value;
    if (value.right !== undefined && !isHttpUrl(value.right))
      return metadataProblem(`${name} must be an absolute http(s) URL.`);
    urls[name] = value.right;
  }

  const jwks = body.jwks;
  if (jwks !== undefined && jwks !== null && (typeof jwks !== 'object' || Array.isArray(jwks))) {
    return metadataProblem('jwks must be a JSON object.');
  }
  if (jwks !== undefined && jwks !== null && urls.jwks_uri !== undefined) {
    return metadataProblem('jwks and jwks_uri must not both be given.');
  }

  const applicationType = optionalString(body, 'application_type');
  if (E.isLeft(applicationType)) return applicationType;
  if (
    applicationType.right !== undefined &&
    applicationType.right !== 'web' &&
    applicationType.right !== 'native'
  ) {
    return metadataProblem('application_type must be web or native.');
  }

  const clientName = optionalString(body, 'client_name');
  if (E.isLeft(clientName)) return clientName;
  if (clientName.right !== undefined && clientName.right.length > 256) {
    return metadataProblem('client_name must be at most 256 characters.');
  }

  const contacts = stringList(body, 'contacts');
  if (E.isLeft(contacts)) return contacts;
  const scope = optionalString(body, 'scope');
  if (E.isLeft(scope)) return scope;
  const softwareId = optionalString(body, 'software_id');
  if (E.isLeft(softwareId)) return softwareId;
  const softwareVersion = optionalString(body, 'software_version');
  if (E.isLeft(softwareVersion)) return softwareVersion;

  const metadata: ClientMetadata = {
    ...(clientName.right === undefined ? {} : { clientName: clientName.right }),
    ...(urls.client_uri === undefined ? {} : { clientUri: urls.client_uri }),
    ...(urls.logo_uri === undefined ? {} : { logoUri: urls.logo_uri }),
    ...(urls.tos_uri === undefined ? {} : { tosUri: urls.tos_uri }),
    ...(urls.policy_uri === undefined ? {} : { policyUri: urls.policy_uri }),
    ...(urls.jwks_uri === undefined ? {} : { jwksUri: urls.jwks_uri }),
    ...(jwks === undefined || jwks === null ? {} : { jwks: jwks as Record<string, unknown> }),
    ...(contacts.right === undefined || contacts.right.length === 0 ? {} : { contacts: contacts.right }),
    ...(softwareId.right === undefined ? {} : { softwareId: softwareId.right }),
    ...(softwareVersion.right === undefined ? {} : { softwareVersion: softwareVersion.right }),
    ...(applicationType.right === undefined ? {} : { applicationType: applicationType.right }),
  };
  return E.right({
    redirectUris: redirectUris as string[],
    tokenEndpointAuthMethod: (method.right ?? 'client_secret_basic') as TokenEndpointAuthMethod,
    authMethodGiven: method.right !== undefined,
    grantTypes: [...new Set(grants)] as GrantType[],
    responseTypes: ['code'],
    ...(scope.right === undefined ? {} : { scope: scope.right }),
    metadata,
  });
};
