import {
  oauthError,
  type AuthorizationCodeGrant,
  type ClientCredentialsGrant,
  type OAuthError,
  type RefreshTokenGrant,
  type RequestedGrant,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { decodeOrFail } from './decode.js';

/**
 * The parameters of a token request (RFC 6749 §4.1.3, §4.4.2, §6) as they are spelled on the wire. The
 * form was read by `singleParams` first: a parameter given twice has already been refused, and an
 * empty one dropped as omitted (docs/http-api.md#conventions).
 */
type FormParams = Readonly<Record<string, string>>;

/** A parameter the grant cannot do without: missing → `invalid_request` naming it (docs/http-api.md#token). */
const required = (name: string): t.Type<string, string> =>
  new t.Type<string, string, unknown>(
    name,
    (u): u is string => typeof u === 'string',
    (u, c) => (typeof u === 'string' ? t.success(u) : t.failure(u, c, `The ${name} parameter is missing.`)),
    t.identity,
  );

/** `grant_type=authorization_code`: `code`, and optionally `code_verifier`, `redirect_uri`, `resource`. */
const AuthorizationCodeParams = t.intersection([
  t.type({ code: required('code') }),
  t.partial({ code_verifier: t.string, redirect_uri: t.string, resource: t.string }),
]);

/** `grant_type=refresh_token`: `refresh_token`, and optionally `scope` and `resource`. */
const RefreshTokenParams = t.intersection([
  t.type({ refresh_token: required('refresh_token') }),
  t.partial({ scope: t.string, resource: t.string }),
]);

/** `grant_type=client_credentials` (RFC 6749 §4.4.2): optionally `scope` and `resource`. */
const ClientCredentialsParams = t.partial({ scope: t.string, resource: t.string });

/** The grant types this server knows; any other is `unsupported_grant_type` (RFC 6749 §5.2). */
const KnownGrantType = t.keyof({ authorization_code: null, refresh_token: null, client_credentials: null });

/** A grant's decoder: its codec, then its wire names mapped to the command's. */
const grantDecoder =
  <W, G>(codec: t.Decoder<unknown, W>, toGrant: (wire: W) => G) =>
  (params: FormParams): E.Either<OAuthError, G> =>
    E.map(toGrant)(decodeOrFail(codec, params, 'invalid_request'));

const codeGrant = grantDecoder(AuthorizationCodeParams, (wire): AuthorizationCodeGrant => ({
  grantType: 'authorization_code',
  code: wire.code,
  codeVerifier: wire.code_verifier,
  redirectUri: wire.redirect_uri,
  resource: wire.resource,
}));

const refreshGrant = grantDecoder(RefreshTokenParams, (wire): RefreshTokenGrant => ({
  grantType: 'refresh_token',
  refreshToken: wire.refresh_token,
  scope: wire.scope,
  resource: wire.resource,
}));

const clientCredentialsGrant = grantDecoder(ClientCredentialsParams, (wire): ClientCredentialsGrant => ({
  grantType: 'client_credentials',
  scope: wire.scope,
  resource: wire.resource,
}));

/**
 * The grant of a token request, decoded from its form parameters into the command the domain
 * takes. `grant_type` missing → `invalid_request`, unknown → `unsupported_grant_type`; the grant's
 * own parameters are decoded apart (`params`), since the domain first checks that the client
 * registered the grant type (docs/http-api.md#token, "Order of checks").
 */
export const decodeTokenGrant = (params: FormParams): E.Either<OAuthError, RequestedGrant> => {
  const grantType = params.grant_type;
  if (grantType === undefined)
    return E.left(oauthError('invalid_request', 'The grant_type parameter is missing.'));
  if (!KnownGrantType.is(grantType))
    return E.left(oauthError('unsupported_grant_type', 'The grant type is not supported.'));
  switch (grantType) {
    case 'authorization_code':
      return E.right({ grantType, params: codeGrant(params) });
    case 'refresh_token':
      return E.right({ grantType, params: refreshGrant(params) });
    case 'client_credentials':
      return E.right({ grantType, params: clientCredentialsGrant(params) });
  }
};
