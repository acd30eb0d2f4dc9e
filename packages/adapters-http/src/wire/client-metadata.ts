import {
  oauthError,
  type ClientMetadataFields,
  type ClientUpdateFields,
  type OAuthError,
  type RegistrationRequest,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { decodeOrFail } from './decode.js';

/**
 * An optional field of type `base`. `undefined` and `null` count as omitted, and so does `''` in a
 * string field (docs/http-api.md#registration); any other value not of that type fails with
 * `message`.
 */
const optional = <A>(
  base: t.Type<A, unknown>,
  message: string,
  emptyStringOmits = false,
): t.Type<A | undefined, unknown> =>
  new t.Type<A | undefined, unknown, unknown>(
    `${base.name} | undefined`,
    (u): u is A | undefined => u === undefined || base.is(u),
    (u, c) => {
      if (u === undefined || u === null || (emptyStringOmits && u === '')) return t.success(undefined);
      return base.is(u) ? t.success(u) : t.failure(u, c, message);
    },
    t.identity,
  );

const text = (name: string) => optional(t.string, `${name} must be a string.`, true);
const list = (name: string) => optional(t.array(t.string), `${name} must be an array of strings.`);

/** `redirect_uris` (RFC 7591 §2): required, a list of strings; what they may be is the domain's rule. */
const RedirectUris = new t.Type<string[], unknown, unknown>(
  'redirect_uris',
  (u): u is string[] => Array.isArray(u) && u.every((v) => typeof v === 'string'),
  (u, c) => {
    if (!Array.isArray(u)) return t.failure(u, c, 'redirect_uris must be a non-empty array.');
    return u.every((v) => typeof v === 'string')
      ? t.success(u)
      : t.failure(u, c, 'Each redirect URI must be a string.');
  },
  t.identity,
);

/**
 * The other RFC 7591 §2 fields Latchkey stores, in the order docs/http-api.md#registration checks
 * them; unknown fields are ignored (RFC 7591 §2).
 */
const MetadataWire = t.type({
  grant_types: list('grant_types'),
  response_types: list('response_types'),
  token_endpoint_auth_method: text('token_endpoint_auth_method'),
  client_uri: text('client_uri'),
  logo_uri: text('logo_uri'),
  tos_uri: text('tos_uri'),
  policy_uri: text('policy_uri'),
  jwks_uri: text('jwks_uri'),
  jwks: optional(t.UnknownRecord, 'jwks must be a JSON object.'),
  application_type: text('application_type'),
  client_name: text('client_name'),
  contacts: list('contacts'),
  scope: text('scope'),
  software_id: text('software_id'),
  software_version: text('software_version'),
});

/**
 * A PUT may also carry `client_id` (which must then be this client's, so anything but a string
 * is already wrong) and the current `client_secret` (RFC 7592 §2.2).
 */
const UpdateWire = t.intersection([
  MetadataWire,
  t.type({
    client_id: optional(t.string, 'client_id does not match this client.'),
    client_secret: optional(t.string, 'client_secret is not the current secret of this client.', true),
  }),
]);

const metadataFields = (wire: t.TypeOf<typeof MetadataWire>): ClientMetadataFields => ({
  grantTypes: wire.grant_types,
  responseTypes: wire.response_types,
  tokenEndpointAuthMethod: wire.token_endpoint_auth_method,
  clientUri: wire.client_uri,
  logoUri: wire.logo_uri,
  tosUri: wire.tos_uri,
  policyUri: wire.policy_uri,
  jwksUri: wire.jwks_uri,
  jwks: wire.jwks,
  applicationType: wire.application_type,
  clientName: wire.client_name,
  contacts: wire.contacts,
  scope: wire.scope,
  softwareId: wire.software_id,
  softwareVersion: wire.software_version,
});

const updateFields = (wire: t.TypeOf<typeof UpdateWire>): ClientUpdateFields => ({
  ...metadataFields(wire),
  clientId: wire.client_id,
  clientSecret: wire.client_secret,
});

/**
 * A registration body decoded into the command the domain takes. Not a JSON object →
 * `invalid_client_metadata`; `redirect_uris` missing or not a list of strings →
 * `invalid_redirect_uri`. The other fields are decoded apart (`fields`): the domain checks the
 * redirect URIs themselves before a field of the wrong type is answered (docs/http-api.md#registration).
 */
const decodeBody =
  <W, F extends ClientMetadataFields>(codec: t.Decoder<unknown, W>, toFields: (wire: W) => F) =>
  (body: unknown): E.Either<OAuthError, RegistrationRequest<F>> => {
    if (!t.UnknownRecord.is(body))
      return E.left(oauthError('invalid_client_metadata', 'The body must be a JSON object.'));
    const redirectUris = decodeOrFail(RedirectUris, body.redirect_uris, 'invalid_redirect_uri');
    if (E.isLeft(redirectUris)) return redirectUris;
    return E.right({
      redirectUris: redirectUris.right,
      fields: E.map(toFields)(decodeOrFail(codec, body, 'invalid_client_metadata')),
    });
  };

/** `POST /oauth2/register` (RFC 7591 §3.1). */
export const decodeRegistration = decodeBody(MetadataWire, metadataFields);

/** `PUT /oauth2/clients/{client_id}` (RFC 7592 §2.2). */
export const decodeRegistrationUpdate = decodeBody(UpdateWire, updateFields);
