import type { Ports } from '../ports/index.js';
import { makeCreateApp, makeDeleteApp, makeGetApp, makeListApps, makeUpdateApp } from './apps/manage-apps.js';
import { makeCreateAppSecret, makeDeleteAppSecret, makeListAppSecrets } from './apps/manage-secrets.js';
import { makeAuthenticate } from './authenticate.js';
import { makeCreateFirstUser, makeNeedsSetup } from './create-first-user.js';
import { makeCreateUser } from './create-user.js';
import { makeGetMe } from './get-me.js';
import { makeListAuditLogs } from './list-audit-logs.js';
import { makeListUsers } from './list-users.js';
import { makeLogin } from './login.js';
import { makeLogout } from './logout.js';

/** Settings the use cases read; decoded from the environment by the app. */
export interface DomainSettings {
  readonly sessionTtlSeconds: number;
  readonly setupToken?: string | undefined;
  /** Built-in scopes plus `LATCHKEY_EXTRA_SCOPES`. */
  readonly supportedScopes: readonly string[];
}

/** Every use case, wired to its ports: what a transport (HTTP, MCP, CLI) is given. */
export const makeUseCases = (ports: Ports, settings: DomainSettings) => ({
  authenticate: makeAuthenticate(ports),
  createFirstUser: makeCreateFirstUser(ports, settings),
  needsSetup: makeNeedsSetup(ports),
  createUser: makeCreateUser(ports),
  listUsers: makeListUsers(ports),
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
  ping: () => ports.health.ping(),
});

export type UseCases = ReturnType<typeof makeUseCases>;
