import type { ClientMetadataDocuments, Ports, TokenSigner } from '../ports/index.js';
import {
  makeMetadataDocumentClients,
  type MetadataDocumentSettings,
} from './oauth/metadata-document-clients.js';
import { makeCreateApp, makeDeleteApp, makeGetApp, makeListApps, makeUpdateApp } from './apps/manage-apps.js';
import {
  makeCreateAppSecret,
  makeCreateAppSecretOnce,
  makeDeleteAppSecret,
  makeListAppSecrets,
} from './apps/manage-secrets.js';
import { makeAuthenticate } from './authenticate.js';
import { makeCreateFirstUser, makeNeedsSetup } from './create-first-user.js';
import { makeCreateUser } from './create-user.js';
import { makeFindUser } from './find-user.js';
import { makeGetMe } from './get-me.js';
import { makeListAuditLogs } from './list-audit-logs.js';
import { makeListAuthorizedApps } from './list-authorized-apps.js';
import { makeListAuthorizations } from './list-authorizations.js';
import { makeListRegisteredClients } from './list-registered-clients.js';
import { makeListSessions } from './list-sessions.js';
import { makeEndSession } from './end-session.js';
import { makeChangePassword } from './change-password.js';
import { makeRevokeAllUserGrants } from './oauth/revoke-all-user-grants.js';
import { makeListUsers } from './list-users.js';
import { makeAuthenticateClient } from './oauth/authenticate-client.js';
import { makeDecideAuthorization, makeStartAuthorization } from './oauth/authorize.js';
import { makeIntrospectToken } from './oauth/introspect-token.js';
import { makeRevokeToken } from './oauth/revoke-token.js';
import { makeRevokeGrantsOfUser, makeRevokeUserGrantsForClient } from './oauth/revoke-user-grants.js';
import type { OAuthSettings } from './oauth/settings.js';
import { makeTokenEndpoint } from './oauth/token-endpoint.js';
import { makePurgeAbandonedClients, type PurgeSettings } from './registration/purge-abandoned-clients.js';
import {
  makeAuthenticateRegistration,
  makeDeleteClientRegistration,
  makeRegisterClient,
  makeUpdateClientRegistration,
} from './registration/registration.js';
import { makeLogin } from './login.js';
import { makeLogout } from './logout.js';

/** Settings the use cases read; decoded from the environment by the app. */
export interface DomainSettings extends OAuthSettings, PurgeSettings {
  readonly sessionTtlSeconds: number;
  readonly setupToken?: string | undefined;
}

/**
 * Client ID Metadata Documents, when on (docs/http-api.md#client-id-metadata-documents): the
 * fetcher and its settings. Without it, a URL `client_id` is an unknown client.
 */
export interface MetadataDocumentsOption {
  readonly documents: ClientMetadataDocuments;
  readonly settings: MetadataDocumentSettings;
}

/** Every use case, wired to its ports: what a transport (HTTP, MCP, the CLI) is given. */
export const makeUseCases = (
  ports: Ports,
  settings: DomainSettings,
  cimd?: MetadataDocumentsOption,
  /** Signs ID tokens and JWT access tokens (docs/openid-connect.md); without it none are issued. */
  signer?: TokenSigner,
) => {
  // One cache of metadata documents for authorize, token, revocation and introspection.
  const metadataDocuments =
    cimd === undefined ? undefined : makeMetadataDocumentClients(ports, cimd.documents, cimd.settings);
  // One for the token, revocation and introspection endpoints: it remembers when the use of each
  // client secret was last recorded (at most once a minute per secret, docs/http-api.md#apps).
  const authenticateClient = makeAuthenticateClient(ports, metadataDocuments);
  return {
    authenticate: makeAuthenticate(ports, signer),
    createFirstUser: makeCreateFirstUser(ports, settings),
    needsSetup: makeNeedsSetup(ports),
    createUser: makeCreateUser(ports),
    listUsers: makeListUsers(ports),
    findUser: makeFindUser(ports),
    login: makeLogin(ports, settings),
    logout: makeLogout(ports),
    getMe: makeGetMe(),
    listAuditLogs: makeListAuditLogs(ports),
    createApp: makeCreateApp(ports, settings),
    updateApp: makeUpdateApp(ports, settings),
    deleteApp: makeDeleteApp(ports),
    getApp: makeGetApp(ports),
    listApps: makeListApps(ports),
    createAppSecret: makeCreateAppSecret(ports),
    createAppSecretOnce: makeCreateAppSecretOnce(ports),
    listAppSecrets: makeListAppSecrets(ports),
    deleteAppSecret: makeDeleteAppSecret(ports),
    startAuthorization: makeStartAuthorization(ports, settings, metadataDocuments),
    decideAuthorization: makeDecideAuthorization(ports, settings),
    token: makeTokenEndpoint(ports, settings, authenticateClient, signer),
    revokeToken: makeRevokeToken(ports, authenticateClient, signer),
    introspectToken: makeIntrospectToken(ports, authenticateClient, signer),
    revokeUserGrantsForClient: makeRevokeUserGrantsForClient(ports),
    revokeGrantsOfUser: makeRevokeGrantsOfUser(ports),
    registerClient: makeRegisterClient(ports, settings),
    authenticateRegistration: makeAuthenticateRegistration(ports),
    updateClientRegistration: makeUpdateClientRegistration(ports, settings),
    deleteClientRegistration: makeDeleteClientRegistration(ports),
    purgeAbandonedClients: makePurgeAbandonedClients(ports, settings),
    listAuthorizedApps: makeListAuthorizedApps(ports),
    listAuthorizations: makeListAuthorizations(ports),
    revokeAllUserGrants: makeRevokeAllUserGrants(ports),
    listRegisteredClients: makeListRegisteredClients(ports),
    listSessions: makeListSessions(ports),
    endSession: makeEndSession(ports),
    changePassword: makeChangePassword(ports),
    ping: () => ports.health.ping(),
  };
};

export type UseCases = ReturnType<typeof makeUseCases>;
