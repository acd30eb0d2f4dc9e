import Router from '@koa/router';
import { MCP_PATH, OIDC_SCOPES } from '@latchkey/domain';
import type { OidcHttpConfig } from '../config.js';
import type { RequestState } from '../state.js';

export interface MetadataSettings {
  readonly issuer: string;
  readonly supportedScopes: readonly string[];
  readonly registrationEnabled: boolean;
  /** Client ID Metadata Documents are on (`LATCHKEY_CIMD_ENABLED`). */
  readonly clientIdMetadataDocumentsEnabled: boolean;
  readonly oidc?: OidcHttpConfig | undefined;
}

export const JWKS_PATH = '/oauth2/jwks';
export const USERINFO_PATH = '/oauth2/userinfo';

/**
 * The OpenID Provider metadata (OpenID Connect Discovery 1.0 §3): the RFC 8414 document with the
 * OpenID fields, advertising exactly what is served (docs/openid-connect.md#discovery).
 */
export const openIdConfiguration = (
  settings: MetadataSettings,
  oidc: OidcHttpConfig,
): Record<string, unknown> => ({
  ...authorizationServerMetadata(settings),
  userinfo_endpoint: `${settings.issuer}${USERINFO_PATH}`,
  subject_types_supported: ['public'],
  id_token_signing_alg_values_supported: [oidc.signingAlg],
  claims_supported: [
    'iss',
    'sub',
    'aud',
    'exp',
    'iat',
    'auth_time',
    'nonce',
    'at_hash',
    'azp',
    'name',
    'preferred_username',
    'email',
    'email_verified',
  ],
  claims_parameter_supported: false,
  request_parameter_supported: false,
  request_uri_parameter_supported: false,
});

/** RFC 8414 authorization server metadata; every URL absolute, built from the issuer (docs/http-api.md#metadata). */
export const authorizationServerMetadata = (settings: MetadataSettings): Record<string, unknown> => {
  const { issuer } = settings;
  const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'none'];
  return {
    issuer,
    authorization_endpoint: `${issuer}/oauth2/authorize`,
    token_endpoint: `${issuer}/oauth2/tokens`,
    ...(settings.registrationEnabled ? { registration_endpoint: `${issuer}/oauth2/register` } : {}),
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // client_credentials: owner-created confidential apps that enable it (docs/http-api.md#client-credentials-grant).
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: clientAuthMethods,
    revocation_endpoint_auth_methods_supported: clientAuthMethods,
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported:
      settings.oidc === undefined
        ? settings.supportedScopes.filter((s) => !OIDC_SCOPES.includes(s))
        : settings.supportedScopes,
    authorization_response_iss_parameter_supported: true,
    // draft-ietf-oauth-client-id-metadata-document §6 (docs/http-api.md#client-id-metadata-documents).
    ...(settings.clientIdMetadataDocumentsEnabled ? { client_id_metadata_document_supported: true } : {}),
    ...(settings.oidc === undefined ? {} : { jwks_uri: `${issuer}${JWKS_PATH}` }),
  };
};

/** RFC 9728 protected resource metadata, for the API (the issuer) or for the MCP endpoint. */
export const protectedResourceMetadata = (issuer: string, resource: string, scopes: readonly string[]) => ({
  resource,
  authorization_servers: [issuer],
  bearer_methods_supported: ['header'],
  scopes_supported: scopes,
});

/** The three well-known documents (docs/http-api.md#routes, #metadata). */
export const metadataRoutes = (
  settings: MetadataSettings,
  router = new Router<RequestState>(),
): Router<RequestState> => {
  const { issuer } = settings;
  router.get('/.well-known/oauth-authorization-server', (ctx) => {
    ctx.body = authorizationServerMetadata(settings);
  });
  const { oidc } = settings;
  if (oidc !== undefined) {
    router.get('/.well-known/openid-configuration', (ctx) => {
      ctx.body = openIdConfiguration(settings, oidc);
    });
    // RFC 7517 §5. Cached for less than the pre-publish period, so that every client has seen a
    // new key before it signs (docs/openid-connect.md#signing-keys).
    router.get(JWKS_PATH, async (ctx) => {
      const keys = await oidc.jwks();
      ctx.set('Cache-Control', `public, max-age=${oidc.jwksMaxAgeSeconds}`);
      ctx.remove('Pragma');
      ctx.type = 'application/jwk-set+json';
      ctx.body = JSON.stringify(keys);
    });
  }
  router.get('/.well-known/oauth-protected-resource', (ctx) => {
    ctx.body = protectedResourceMetadata(issuer, issuer, settings.supportedScopes);
  });
  router.get(`/.well-known/oauth-protected-resource${MCP_PATH}`, (ctx) => {
    ctx.body = protectedResourceMetadata(issuer, `${issuer}${MCP_PATH}`, ['mcp']);
  });
  return router;
};
