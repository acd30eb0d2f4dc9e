import Router from '@koa/router';
import { MCP_PATH } from '@latchkey/domain';
import type { RequestState } from '../state.js';

export interface MetadataSettings {
  readonly issuer: string;
  readonly supportedScopes: readonly string[];
  readonly registrationEnabled: boolean;
  /** Client ID Metadata Documents are on (`LATCHKEY_CIMD_ENABLED`). */
  readonly clientIdMetadataDocumentsEnabled: boolean;
}

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
    scopes_supported: settings.supportedScopes,
    authorization_response_iss_parameter_supported: true,
    // draft-ietf-oauth-client-id-metadata-document §6 (docs/http-api.md#client-id-metadata-documents).
    ...(settings.clientIdMetadataDocumentsEnabled ? { client_id_metadata_document_supported: true } : {}),
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
  router.get('/.well-known/oauth-protected-resource', (ctx) => {
    ctx.body = protectedResourceMetadata(issuer, issuer, settings.supportedScopes);
  });
  router.get(`/.well-known/oauth-protected-resource${MCP_PATH}`, (ctx) => {
    ctx.body = protectedResourceMetadata(issuer, `${issuer}${MCP_PATH}`, ['mcp']);
  });
  return router;
};
