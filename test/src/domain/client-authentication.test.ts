import { randomBytes } from 'node:crypto';
import {
  checkPublicClaim,
  checkSecretClaim,
  claimedAuthentication,
  issueCredential,
  type ClientClaim,
  type OAuthClient,
  type PresentedClientCredentials,
} from '@latchkey/domain';
import { aClient, aClientSecret } from '../contract/fixtures.js';
import { eachRow, type Expected } from './decision-table.js';

const confidential = aClient(1);
const other = aClient(2);
const publicClient = aClient(3, { clientType: 'public', tokenEndpointAuthMethod: 'none' });

interface ClaimRow {
  readonly rule: string;
  readonly presented: PresentedClientCredentials;
  readonly expected: Expected;
}

const basic = { clientId: confidential.id, clientSecret: 'lk_cs_secret' };

/** `claimedAuthentication`: which method a request uses (RFC 6749 §2.3, docs/http-api.md#token). */
const CLAIMS: ClaimRow[] = [
  {
    rule: 'HTTP Basic is client_secret_basic',
    presented: { basic },
    expected: { right: { method: 'client_secret_basic', clientId: confidential.id, secret: 'lk_cs_secret' } },
  },
  {
    rule: 'Basic with the same client_id in the body is still client_secret_basic',
    presented: { basic, bodyClientId: confidential.id },
    expected: { right: { method: 'client_secret_basic' } },
  },
  {
    rule: 'Basic and client_secret_post at once is invalid_request',
    presented: { basic, bodyClientSecret: 'lk_cs_secret' },
    expected: 'invalid_request',
  },
  {
    rule: 'Basic with another client_id in the body is invalid_request',
    presented: { basic, bodyClientId: other.id },
    expected: 'invalid_request',
  },
  {
    rule: 'client_id and client_secret in the body is client_secret_post',
    presented: { bodyClientId: confidential.id, bodyClientSecret: 'lk_cs_secret' },
    expected: { right: { method: 'client_secret_post', clientId: confidential.id } },
  },
  {
    rule: 'client_id alone is none (a public client)',
    presented: { bodyClientId: publicClient.id },
    expected: { right: { method: 'none', clientId: publicClient.id } },
  },
  { rule: 'no credentials at all is invalid_client', presented: {}, expected: 'invalid_client' },
  {
    rule: 'a client_secret without a client_id is invalid_client',
    presented: { bodyClientSecret: 'lk_cs_secret' },
    expected: 'invalid_client',
  },
];

interface PublicRow {
  readonly rule: string;
  readonly client: OAuthClient | undefined;
  readonly expected: Expected;
}

/** `checkPublicClaim`: a claim without a secret (docs/http-api.md#token). */
const PUBLIC: PublicRow[] = [
  {
    rule: 'a public client is authenticated by its id alone',
    client: publicClient,
    expected: { right: { method: 'none' } },
  },
  { rule: 'an unknown client is invalid_client', client: undefined, expected: 'invalid_client' },
  {
    rule: 'a confidential client without a secret is invalid_client',
    client: confidential,
    expected: 'invalid_client',
  },
];

const presented = issueCredential('clientSecret', randomBytes(32));
const ownSecret = aClientSecret(1, confidential.id, { digest: presented.digest });

interface SecretRow {
  readonly rule: string;
  readonly claim?: Partial<ClientClaim>;
  readonly match: { readonly client: OAuthClient; readonly secret: typeof ownSecret } | undefined;
  readonly expected: Expected;
}

/** `checkSecretClaim`: a secret must be **this** confidential client's own (docs/http-api.md#token). */
const SECRETS: SecretRow[] = [
  {
    rule: 'the client’s own secret authenticates it, by the method it used',
    claim: { method: 'client_secret_post' },
    match: { client: confidential, secret: ownSecret },
    expected: { right: { client: confidential, method: 'client_secret_post', secretId: ownSecret.id } },
  },
  {
    rule: 'the client id is compared without regard to case (a UUID)',
    claim: { clientId: confidential.id.toUpperCase() },
    match: { client: confidential, secret: ownSecret },
    expected: { right: { client: confidential, secretId: ownSecret.id } },
  },
  { rule: 'a secret that matches none is refused', match: undefined, expected: 'not_authenticated' },
  {
    rule: 'another client’s secret with this client’s id is refused',
    match: { client: other, secret: aClientSecret(2, other.id, { digest: presented.digest }) },
    expected: 'not_authenticated',
  },
  {
    rule: 'a secret of a public client is refused',
    claim: { clientId: publicClient.id },
    match: { client: publicClient, secret: aClientSecret(3, publicClient.id, { digest: presented.digest }) },
    expected: 'not_authenticated',
  },
  {
    rule: 'a secret row of another client than the one read with it is refused',
    match: { client: confidential, secret: aClientSecret(4, other.id, { digest: presented.digest }) },
    expected: 'not_authenticated',
  },
  {
    rule: 'a stored digest other than the presented one is refused',
    match: { client: confidential, secret: aClientSecret(5, confidential.id) },
    expected: 'not_authenticated',
  },
];

describe('client authentication, its pure decisions (RFC 6749 §2.3, docs/http-api.md#token)', () => {
  describe('claimedAuthentication', () => {
    eachRow(CLAIMS, (row) => claimedAuthentication(row.presented));
  });

  describe('checkPublicClaim', () => {
    eachRow(PUBLIC, (row) => checkPublicClaim(row.client));
  });

  describe('checkSecretClaim', () => {
    eachRow(SECRETS, (row) =>
      checkSecretClaim(
        { method: 'client_secret_basic', clientId: confidential.id, secret: presented.token, ...row.claim },
        presented.digest,
        row.match,
      ),
    );
  });
});
