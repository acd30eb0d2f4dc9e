import type { EntitySchema } from '@mikro-orm/core';
import type {
  CodeWithGrant,
  Grant,
  Redemption,
  RefreshExchange,
  RefreshTokenWithGrant,
  SecretWithClient,
  TokenRows,
} from '@latchkey/domain';
import {
  ApiKeySchema,
  AuthorizationCodeSchema,
  ClientSchema,
  ClientSecretSchema,
  type GrantRow,
  GrantSchema,
  RefreshTokenSchema,
} from './entities.js';
import type { Raw, Statement, Tables } from './gateway.js';
import { liveGrant } from './live-grant.js';
import {
  toApiKeyRow,
  toAuthorizationCode,
  toClient,
  toClientSecret,
  toGrant,
  toRefreshToken,
  toRefreshTokenRow,
} from './mappers.js';

/*
 * The statements of the token endpoint: every token request is three round trips with no
 * BEGIN/COMMIT — the client's secret with its client, the presented credential with its grant,
 * and one data-modifying statement that consumes (or rotates) the credential and stores the new
 * tokens. A statement is atomic on its own, so nothing is ever half-written, and the row lock its
 * UPDATE takes makes concurrent redemptions of one credential queue and re-check (PostgreSQL
 * re-evaluates the WHERE clause against the committed row), so exactly one wins.
 *
 * All are named prepared statements. Their column lists, casts and row mapping come from the
 * entity schemas (`Tables`); a joined row carries each table's columns under a prefix of its own.
 */

// ---------------------------------------------------------------------------------------------
// Reads

/** One table of a joined lookup: its schema and name, its alias in the statement, and its mapper. */
interface Side<Row extends object, Model> {
  readonly schema: EntitySchema<Row>;
  readonly table: string;
  readonly alias: string;
  readonly map: (row: Row) => Model;
}

/** A joined lookup: its statement, and the mapper of the row it returns. */
export interface JoinedLookup<Result> {
  readonly statement: Statement;
  readonly map: (t: Tables) => (raw: Raw) => Result;
}

const sideOf = <Row extends object, Model>(side: Side<Row, Model>, t: Tables, raw: Raw): Model =>
  side.map(t.row(side.schema, raw, `${side.alias}.`));

/**
 * A credential found by its digest (`$1`), with the row it belongs to (`owner`, whose id is the
 * credential's `ownerKey`); `combine` makes the two models into the result.
 */
const joinedByDigest = <CRow extends object, Credential, ORow extends object, Owner, Result>(
  name: string,
  credential: Side<CRow, Credential>,
  ownerKey: string,
  owner: Side<ORow, Owner>,
  combine: (credential: Credential, owner: Owner) => Result,
): JoinedLookup<Result> => {
  const [c, o] = [credential.alias, owner.alias];
  return {
    statement: {
      name,
      text: (t) => `
    select ${t.select(credential.schema, c, `${c}.`)}, ${t.select(owner.schema, o, `${o}.`)}
      from ${credential.table} ${c} join ${owner.table} ${o} on ${o}.id = ${c}.${ownerKey}
     where ${c}.digest = $1`,
    },
    map: (t) => (raw) => combine(sideOf(credential, t, raw), sideOf(owner, t, raw)),
  };
};

const grants: Side<GrantRow, Grant> = {
  schema: GrantSchema,
  table: 'oauth2_grants',
  alias: 'g',
  map: toGrant,
};

export const CODE_WITH_GRANT = joinedByDigest(
  'latchkey_find_code_with_grant',
  { schema: AuthorizationCodeSchema, table: 'oauth2_codes', alias: 'c', map: toAuthorizationCode },
  'grant_id',
  grants,
  (code, grant): CodeWithGrant => ({ code, grant }),
);

export const REFRESH_TOKEN_WITH_GRANT = joinedByDigest(
  'latchkey_find_refresh_token_with_grant',
  { schema: RefreshTokenSchema, table: 'oauth2_refresh_tokens', alias: 't', map: toRefreshToken },
  'grant_id',
  grants,
  (token, grant): RefreshTokenWithGrant => ({ token, grant }),
);

export const SECRET_WITH_CLIENT = joinedByDigest(
  'latchkey_find_secret_with_client',
  { schema: ClientSecretSchema, table: 'oauth2_client_secrets', alias: 's', map: toClientSecret },
  'client_id',
  { schema: ClientSchema, table: 'oauth2_clients', alias: 'c', map: toClient },
  (secret, client): SecretWithClient => ({ secret, client }),
);

// ---------------------------------------------------------------------------------------------
// Writes: consume or rotate, and store the new tokens, in one statement

/**
 * The two inserts of the new tokens, every column of each, from parameter `$first` on (see
 * `tokenValues`), and from the rows the CTE named `source` returns (one row when the credential
 * was consumed or rotated, none otherwise). The refresh token is inserted only when one was minted
 * (its id not null).
 */
const insertTokensFrom = (t: Tables, source: string, first: number) => {
  const refresh = first + t.width(ApiKeySchema);
  return `
  access as (
    insert into api_keys (${t.columns(ApiKeySchema)})
    select ${t.parameters(ApiKeySchema, first)}
      from ${source}
  ),
  refresh as (
    insert into oauth2_refresh_tokens (${t.columns(RefreshTokenSchema)})
    select ${t.parameters(RefreshTokenSchema, refresh)}
      from ${source}
     where ${t.parameter(RefreshTokenSchema, refresh, 'id')} is not null
  )`;
};

/** The values of the parameters of `insertTokensFrom`. */
export const tokenValues = (t: Tables, tokens: TokenRows): unknown[] => [
  ...t.values(ApiKeySchema, toApiKeyRow(tokens.accessToken)),
  ...(tokens.refreshToken === undefined
    ? Array<null>(t.width(RefreshTokenSchema)).fill(null)
    : t.values(RefreshTokenSchema, toRefreshTokenRow(tokens.refreshToken))),
];

/**
 * `$1` code id, `$2` now, then `tokenValues`. `target` reads whether the grant is live (for the
 * answer); `consumed` is the single-use guard: of concurrent redemptions, the later ones wait on
 * the code's row and then find `consumed_at` set.
 */
export const REDEEM_CODE: Statement = {
  name: 'latchkey_redeem_code',
  text: (t) => `
    with target as (
      select c.id, ${liveGrant('g', '$2::timestamptz')} as live
        from oauth2_codes c join oauth2_grants g on g.id = c.grant_id
       where c.id = $1::uuid
    ),
    consumed as (
      update oauth2_codes c set consumed_at = $2::timestamptz
        from target t
       where c.id = t.id and t.live and c.consumed_at is null
      returning c.id
    ),
    ${insertTokensFrom(t, 'consumed', 3)}
    select (select count(*) from consumed)::int as changed, (select live from target) as live`,
};

export const redemptionOf = (raw: Raw | undefined): Redemption =>
  raw !== undefined && (raw.changed as number) > 0
    ? 'redeemed'
    : raw?.live === false
      ? 'grant_ended'
      : 'consumed';

/**
 * `$1` refresh token id, `$2` now, `$3` start of the grace window (null: no grace), then
 * `tokenValues`. An unrotated token is rotated; a rotated one may spend its single replay while
 * the window is open. The rotation leaves `grace_used` alone (false on every token that was never
 * rotated), the replay sets it, so the returned `grace_used` tells which of the two happened.
 */
export const EXCHANGE_REFRESH_TOKEN: Statement = {
  name: 'latchkey_exchange_refresh_token',
  text: (t) => `
    with target as (
      select t.id, ${liveGrant('g', '$2::timestamptz')} as live
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
              or ($3::timestamptz is not null and not r.grace_used and r.rotated_at >= $3::timestamptz))
      returning r.grace_used
    ),
    ${insertTokensFrom(t, 'used', 4)}
    select (select count(*) from used)::int as changed, (select not grace_used from used) as rotated,
           (select live from target) as live`,
};

export const refreshExchangeOf = (raw: Raw | undefined): RefreshExchange => {
  if (raw !== undefined && (raw.changed as number) > 0) return raw.rotated === true ? 'rotated' : 'grace';
  return raw?.live === false ? 'grant_ended' : 'reused';
};
