import * as E from 'fp-ts/lib/Either.js';
import { isSelfDescribed, type OAuthClient } from '../../model/client.js';
import { OIDC_SCOPES, parseScope } from '../../model/scope.js';
import type { OAuthSettings } from './settings.js';

/**
 * The scope values a client may ever be granted: supported ones, and for clients that describe
 * themselves (DCR, metadata documents) only the DCR set and the OpenID Connect scopes
 * (docs/openid-connect.md#scopes), never `all`.
 */
const grantable = (client: OAuthClient, settings: OAuthSettings): readonly string[] =>
  isSelfDescribed(client)
    ? settings.supportedScopes.filter(
        (s) => (settings.dcrScopes.includes(s) || OIDC_SCOPES.includes(s)) && s !== 'all',
      )
    : settings.supportedScopes;

/**
 * The scope of a new grant (docs/http-api.md#bearer-tokens): requested values the server does not support (or, for a
 * dynamically registered client, outside `LATCHKEY_DCR_SCOPES`) are dropped; the rest must lie
 * within the client's registered scope when it has one (else `invalid_scope`). When nothing is
 * left, the client's registered scope, else `LATCHKEY_DEFAULT_SCOPE`.
 */
export const resolveScope = (
  requested: string | undefined,
  client: OAuthClient,
  settings: OAuthSettings,
): E.Either<'invalid_scope', readonly string[]> => {
  const allowed = grantable(client, settings);
  const kept = parseScope(requested).filter((s) => allowed.includes(s));
  const registered = client.scope ?? [];
  if (kept.length > 0) {
    return registered.length > 0 && kept.some((s) => !registered.includes(s))
      ? E.left('invalid_scope')
      : E.right(kept);
  }
  if (registered.length > 0) return E.right(registered.filter((s) => allowed.includes(s)));
  return E.right(settings.defaultScope.filter((s) => allowed.includes(s)));
};
