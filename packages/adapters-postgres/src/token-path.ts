import type {
  ApiKey,
  CodeWithGrant,
  Redemption,
  RefreshExchange,
  RefreshToken,
  RefreshTokenWithGrant,
  SecretWithClient,
  TokenRows,
} from '@latchkey/domain';
import type { ClientRow, ClientSecretRow, GrantRow } from './entities.js';
import { toAuthorizationCode, toClient, toClientSecret, toGrant, toRefreshToken } from './mappers.js';
import { toDate, toOptionalDate, type Statement } from './sql.js';

/*
 * The statements of the token endpoint: every token request is three round trips with no
 * BEGIN/COMMIT — the client's secret with its client, the presented credential with its grant,
 * and one data-modifying statement that consumes (or rotates) the credential and stores the new
 * tokens. A statement is atomic on its own, so nothing is ever half-written, and the row lock its
 * UPDATE takes makes concurrent redemptions of one credential queue and re-check (PostgreSQL
 * re-evaluates the WHERE clause against the committed row), so exactly one wins.
 *
 * Timestamps come back as text; columns are aliased to the row types' property names.
 */

// ---------------------------------------------------------------------------------------------
// Reads

const GRANT_COLUMNS = `
  g.id as "g_id", g.client_id as "g_clientId", g.user_id as "g_userId", g.scopes as "g_scopes",
  g.resource as "g_resource", g.created_at as "g_createdAt", g.expires_at as "g_expiresAt",
  g.revoked_at as "g_revokedAt"`;

export const FIND_CODE_WITH_GRANT: Statement = {
  name: 'latchkey_find_code_with_grant',
  text: `
    select c.id, c.digest, c.grant_id as "grantId", c.client_id as "clientId", c.user_id as "userId",
           c.redirect_uri as "redirectUri", c.redirect_uri_sent as "redirectUriSent", c.scopes,
           c.resource, c.resource_requested as "resourceRequested", c.code_challenge as "codeChallenge",
           c.created_at as "createdAt", c.expires_at as "expiresAt", c.consumed_at as "consumedAt",
           ${GRANT_COLUMNS}
      from oauth2_codes c join oauth2_grants g on g.id = c.grant_id
     where c.digest = $1`,
};

export const FIND_REFRESH_TOKEN_WITH_GRANT: Statement = {
  name: 'latchkey_find_refresh_token_with_grant',
  text: `
    select t.id, t.digest, t.grant_id as "grantId", t.client_id as "clientId", t.user_id as "userId",
           t.secret_id as "secretId", t.scopes, t.resource, t.created_at as "createdAt",
           t.expires_at as "expiresAt", t.rotated_at as "rotatedAt", t.grace_used as "graceUsed",
           t.revoked_at as "revokedAt",
           ${GRANT_COLUMNS}
      from oauth2_refresh_tokens t join oauth2_grants g on g.id = t.grant_id
     where t.digest = $1`,
};

export const FIND_SECRET_WITH_CLIENT: Statement = {
  name: 'latchkey_find_secret_with_client',
  text: `
    select s.id as "s_id", s.client_id as "s_clientId", s.digest as "s_digest",
           s.display_suffix as "s_displaySuffix", s.created_at as "s_createdAt",
           s.last_used_at as "s_lastUsedAt",
           c.id, c.name, c.callback_url as "callbackUrl", c.redirect_uris as "redirectUris", c.icon,
           c.client_type as "clientType", c.dynamically_registered as "dynamicallyRegistered",
           c.grant_types as "grantTypes", c.response_types as "responseTypes",
           c.token_endpoint_auth_method as "tokenEndpointAuthMethod", c.scope,
           c.introspect_any as "introspectAny", c.metadata,
           c.registration_token_digest as "registrationTokenDigest", c.created_by as "createdBy",
           c.created_at as "createdAt", c.updated_at as "updatedAt",
           c.first_token_at as "firstTokenAt"
      from oauth2_client_secrets s join oauth2_clients c on c.id = s.client_id
     where s.digest = $1`,
};

type Raw = Record<string, unknown>;
type Timestamp = string | Date;

const grantOf = (raw: Raw) =>
  toGrant({
    id: raw.g_id as string,
    clientId: raw.g_clientId as string,
    userId: raw.g_userId as string,
    scopes: raw.g_scopes as string[],
    resource: raw.g_resource as string,
    createdAt: toDate(raw.g_createdAt as Timestamp),
    expiresAt: toDate(raw.g_expiresAt as Timestamp),
    revokedAt: toOptionalDate(raw.g_revokedAt as Timestamp | null),
  } satisfies GrantRow);

export const toCodeWithGrant = (raw: Raw): CodeWithGrant => ({
  code: toAuthorizationCode({
    id: raw.id as string,
    digest: raw.digest as string,
    grantId: raw.grantId as string,
    clientId: raw.clientId as string,
    userId: raw.userId as string,
    redirectUri: raw.redirectUri as string,
    redirectUriSent: raw.redirectUriSent as boolean,
    scopes: raw.scopes as string[],
    resource: raw.resource as string,
    resourceRequested: raw.resourceRequested as boolean,
    codeChallenge: raw.codeChallenge as string,
    createdAt: toDate(raw.createdAt as Timestamp),
    expiresAt: toDate(raw.expiresAt as Timestamp),
    consumedAt: toOptionalDate(raw.consumedAt as Timestamp | null),
  }),
  grant: grantOf(raw),
});

export const toRefreshTokenWithGrant = (raw: Raw): RefreshTokenWithGrant => ({
  token: toRefreshToken({
    id: raw.id as string,
    digest: raw.digest as string,
    grantId: raw.grantId as string,
    clientId: raw.clientId as string,
    userId: raw.userId as string,
    secretId: raw.secretId as string | null,
    scopes: raw.scopes as string[],
    resource: raw.resource as string,
    createdAt: toDate(raw.createdAt as Timestamp),
    expiresAt: toDate(raw.expiresAt as Timestamp),
    rotatedAt: toOptionalDate(raw.rotatedAt as Timestamp | null),
    graceUsed: raw.graceUsed as boolean,
    revokedAt: toOptionalDate(raw.revokedAt as Timestamp | null),
  }),
  grant: grantOf(raw),
});

export const toSecretWithClient = (raw: Raw): SecretWithClient => ({
  secret: toClientSecret({
    id: raw.s_id as string,
    clientId: raw.s_clientId as string,
    digest: raw.s_digest as string,
    displaySuffix: raw.s_displaySuffix as string,
    createdAt: toDate(raw.s_createdAt as Timestamp),
    lastUsedAt: toOptionalDate(raw.s_lastUsedAt as Timestamp | null),
  } satisfies ClientSecretRow),
  client: toClient({
    id: raw.id as string,
    name: raw.name as string,
    callbackUrl: raw.callbackUrl as string,
    redirectUris: raw.redirectUris as string[],
    icon: raw.icon as string,
    clientType: raw.clientType as string,
    dynamicallyRegistered: raw.dynamicallyRegistered as boolean,
    grantTypes: raw.grantTypes as string[],
    responseTypes: raw.responseTypes as string[],
    tokenEndpointAuthMethod: raw.tokenEndpointAuthMethod as string,
    scope: raw.scope as string[] | null,
    introspectAny: raw.introspectAny as boolean,
    metadata: raw.metadata as Record<string, unknown>,
    registrationTokenDigest: raw.registrationTokenDigest as string | null,
    createdBy: raw.createdBy as string | null,
    createdAt: toDate(raw.createdAt as Timestamp),
    updatedAt: toDate(raw.updatedAt as Timestamp),
    firstTokenAt: toOptionalDate(raw.firstTokenAt as Timestamp | null),
  } satisfies ClientRow),
});

// ---------------------------------------------------------------------------------------------
// Writes: consume or rotate, and store the new tokens, in one statement

/**
 * The two inserts of the new tokens, from the rows the CTE named `source` returns (one row when
 * the credential was consumed or rotated, none otherwise). The refresh token is inserted only
 * when one was minted (`$14` not null). Parameters `$3`–`$22`; see `tokenValues`.
 */
const insertTokensFrom = (source: string) => `
  access as (
    insert into api_keys (id, kind, digest, user_id, scopes, audience, client_id, grant_id, secret_id,
                          created_at, expires_at)
    select $3::uuid, 'access', $4::text, $5::uuid, $6::text[], $7::text, $8::uuid, $9::uuid,
           $10::uuid, $11::timestamptz, $12::timestamptz
      from ${source}
    returning id
  ),
  refresh as (
    insert into oauth2_refresh_tokens (id, digest, grant_id, client_id, user_id, secret_id, scopes,
                                       resource, created_at, expires_at)
    select $13::uuid, $14::text, $15::uuid, $16::uuid, $17::uuid, $18::uuid, $19::text[], $20::text,
           $21::timestamptz, $22::timestamptz
      from ${source}
     where $14::text is not null
    returning id
  )`;

/** The values of `$3`–`$22` for `insertTokensFrom`. */
export const tokenValues = (tokens: TokenRows): unknown[] => {
  const a: ApiKey = tokens.accessToken;
  const r: RefreshToken | undefined = tokens.refreshToken;
  return [
    a.id,
    a.digest,
    a.userId,
    a.scopes,
    a.audience ?? null,
    a.clientId ?? null,
    a.grantId ?? null,
    a.secretId ?? null,
    a.createdAt,
    a.expiresAt,
    r?.id ?? null,
    r?.digest ?? null,
    r?.grantId ?? null,
    r?.clientId ?? null,
    r?.userId ?? null,
    r?.secretId ?? null,
    r?.scopes ?? null,
    r?.resource ?? null,
    r?.createdAt ?? null,
    r?.expiresAt ?? null,
  ];
};

/**
 * `$1` code id, `$2` now. `target` reads whether the grant is live (for the answer); `consumed`
 * is the single-use guard: of concurrent redemptions, the later ones wait on the code's row and
 * then find `consumed_at` set.
 */
export const REDEEM_CODE: Statement = {
  name: 'latchkey_redeem_code',
  text: `
    with target as (
      select c.id, g.revoked_at is null and g.expires_at > $2::timestamptz as live
        from oauth2_codes c join oauth2_grants g on g.id = c.grant_id
       where c.id = $1::uuid
    ),
    consumed as (
      update oauth2_codes c set consumed_at = $2::timestamptz
        from target t
       where c.id = t.id and t.live and c.consumed_at is null
      returning c.id
    ),
    ${insertTokensFrom('consumed')}
    select (select count(*) from consumed)::int as changed, (select live from target) as live`,
};

export const redemptionOf = (row: { changed: number; live: boolean | null } | undefined): Redemption =>
  row !== undefined && row.changed > 0 ? 'redeemed' : row?.live === false ? 'grant_ended' : 'consumed';

/**
 * `$1` refresh token id, `$2` now, `$23` start of the grace window (null: no grace). An unrotated
 * token is rotated; a rotated one may spend its single replay while the window is open. The
 * rotation leaves `grace_used` alone (false on every token that was never rotated), the replay
 * sets it, so the returned `grace_used` tells which of the two happened.
 */
export const EXCHANGE_REFRESH_TOKEN: Statement = {
  name: 'latchkey_exchange_refresh_token',
  text: `
    with target as (
      select t.id, g.revoked_at is null and g.expires_at > $2::timestamptz as live
        from oauth2_refresh_tokens t join oauth2_grants g on g.id = t.grant_id
       where t.id = $1::uuid
    ),
    used as (
      update oauth2_refresh_tokens r
         set rotated_at = coalesce(r.rotated_at, $2::timestamptz),
             grace_used = r.grace_used or r.rotated_at is not null
        from target t
       where r.id = t.id and t.live and r.revoked_at is null
         and (r.rotated_at is null
              or ($23::timestamptz is not null and not r.grace_used and r.rotated_at >= $23::timestamptz))
      returning r.grace_used
    ),
    ${insertTokensFrom('used')}
    select (select count(*) from used)::int as changed, (select not grace_used from used) as rotated,
           (select live from target) as live`,
};

export const refreshExchangeOf = (
  row: { changed: number; rotated: boolean | null; live: boolean | null } | undefined,
): RefreshExchange => {
  if (row !== undefined && row.changed > 0) return row.rotated === true ? 'rotated' : 'grace';
  return row?.live === false ? 'grant_ended' : 'reused';
};
