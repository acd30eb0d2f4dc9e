import type { Ports } from '../ports/index.js';
import { makeCreateApp, makeDeleteApp, makeGetApp, makeListApps, makeUpdateApp } from './apps/manage-apps.js';
import { makeCreateAppSecret, makeDeleteAppSecret, makeListAppSecrets } from './apps/manage-secrets.js';
import { makeAuthenticate } from './authenticate.js';
import { makeCreateFirstUser, makeNeedsSetup } from './create-first-user.js';
import { makeCreateUser } from './create-user.js';
import { makeFindUser } from './find-user.js';
import { makeGetMe } from './get-me.js';
import { makeListAuditLogs } from './list-audit-logs.js';
import { makeListAuthorizedApps } from './list-authorized-apps.js';
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

/** Every use case, wired to its ports: what a transport (HTTP, MCP, the CLI) is given. */
export const makeUseCases = (ports: Ports, settings: DomainSettings) => {
  // One for the token, revocation and introspection endpoints: it remembers when the use of each
  // client secret was last recorded (at most once a minute per secret, docs/http-api.md#apps).
  const authenticateClient = makeAuthenticateClient(ports);
  return {
    authenticate: makeAuthenticate(ports),
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
    listAppSecrets: makeListAppSecrets(ports),
    deleteAppSecret: makeDeleteAppSecret(ports),
    startAuthorization: makeStartAuthorization(ports, settings),
    decideAuthorization: makeDecideAuthorization(ports, settings),
    token: makeTokenEndpoint(ports, settings, authenticateClient),
    revokeToken: makeRevokeToken(ports, authenticateClient),
    introspectToken: makeIntrospectToken(ports, authenticateClient),
    revokeUserGrantsForClient: makeRevokeUserGrantsForClient(ports),
    revokeGrantsOfUser: makeRevokeGrantsOfUser(ports),
    registerClient: makeRegisterClient(ports, settings),
    authenticateRegistration: makeAuthenticateRegistration(ports),
    updateClientRegistration: makeUpdateClientRegistration(ports, settings),
    deleteClientRegistration: makeDeleteClientRegistration(ports),
    purgeAbandonedClients: makePurgeAbandonedClients(ports, settings),
    listAuthorizedApps: makeListAuthorizedApps(ports),
    ping: () => ports.health.ping(),
  };
};

export type UseCases = ReturnType<typeof makeUseCases>;
