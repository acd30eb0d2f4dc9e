import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { refinedString } from './codec.js';
import type { CredentialDigest } from './credential.js';
import type { UserId } from './ids.js';
import { checkCallbackUrl } from './redirect-uri.js';

/** `client_id`: a UUID, so it uses only `[A-Za-z0-9_-]` and form-decoding leaves it unchanged. */
export type ClientId = string & { readonly ClientId: unique symbol };
export type ClientSecretId = string & { readonly ClientSecretId: unique symbol };

export type ClientType = 'confidential' | 'public';
export const ClientTypeCodec = t.keyof({ confidential: null, public: null }, 'ClientType');

/** RFC 7591 §2 token endpoint authentication methods Latchkey supports (docs/http-api.md#registration). */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';
export const TOKEN_ENDPOINT_AUTH_METHODS: readonly TokenEndpointAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';
export const DEFAULT_GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token'];
/** Every grant type a client may have; only owner-created confidential apps get `client_credentials`. */
export const GRANT_TYPES: readonly GrantType[] = [...DEFAULT_GRANT_TYPES, 'client_credentials'];

/**
 * RFC 7591 §2 metadata kept for dynamically registered clients and echoed back (docs/http-api.md#registration).
 * Owner-created apps have none of these.
 */
export interface ClientMetadata {
  readonly clientName?: string;
  readonly clientUri?: string;
  readonly logoUri?: string;
  readonly tosUri?: string;
  readonly policyUri?: string;
  readonly jwksUri?: string;
  readonly jwks?: Readonly<Record<string, unknown>>;
  readonly contacts?: readonly string[];
  readonly softwareId?: string;
  readonly softwareVersion?: string;
  readonly applicationType?: 'web' | 'native';
}

/**
 * An OAuth2 client: an app created by an owner (docs/http-api.md#apps) or a dynamically registered client
 * (docs/http-api.md#registration). `id` is the `client_id`.
 */
export interface OAuthClient {
  readonly id: ClientId;
  readonly name: string;
  readonly callbackUrl: string;
  /** Every registered redirect URI: `callbackUrl` first, then the others, without repeats. */
  readonly redirectUris: readonly string[];
  /** Icon URL, `''` when none. */
  readonly icon: string;
  readonly clientType: ClientType;
  readonly dynamicallyRegistered: boolean;
  /**
   * The URL of its Client ID Metadata Document, which is its public `client_id`
   * (docs/http-api.md#client-id-metadata-documents); absent for every other client. `id` is then
   * only the key its grants and tokens hang on.
   */
  readonly metadataDocumentUrl?: string;
  readonly grantTypes: readonly GrantType[];
  readonly responseTypes: readonly 'code'[];
  readonly tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** The registered scope; absent means none (requests then default, docs/http-api.md#bearer-tokens). */
  readonly scope?: readonly string[];
  /** May introspect other clients' tokens (docs/http-api.md#revocation). */
  readonly introspectAny: boolean;
  /**
   * The scopes the client may get through the client credentials grant, when `grantTypes` has it
   * (docs/http-api.md#client-credentials-grant); absent means none.
   */
  readonly clientCredentialsScope?: readonly string[];
  readonly metadata: ClientMetadata;
  /** Digest of the RFC 7592 registration access token; dynamically registered clients only. */
  readonly registrationTokenDigest?: CredentialDigest;
  readonly createdBy?: UserId;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /**
   * When the client first completed a token request (docs/http-api.md#registration: a registration with none within
   * 24 hours is abandoned); absent until then. Set by `ClientRepository.recordFirstToken` only:
   * `update` keeps the stored value.
   */
  readonly firstTokenAt?: Date;
}

/** A client secret; the secret itself is shown once and stored only as a digest (docs/http-api.md#credentials-at-rest). */
export interface ClientSecret {
  readonly id: ClientSecretId;
  readonly clientId: ClientId;
  readonly digest: CredentialDigest;
  /** The last 6 characters, for recognising a secret in a list (`client_secret_truncated`). */
  readonly displaySuffix: string;
  readonly createdAt: Date;
  readonly lastUsedAt?: Date;
}

/** docs/http-api.md#apps: 1–32 characters of letters and digits in hyphen-separated words, not a route word. */
export const AppName = refinedString(
  'AppName',
  (s) => s.length <= 32 && /^[a-zA-Z0-9]+(?:-[a-zA-Z0-9]+)*$/.test(s) && s !== 'new' && s !== 'create',
  'must be 1-32 letters or digits in hyphen-separated words, and not "new" or "create"',
);
export type AppName = t.TypeOf<typeof AppName>;

export const CallbackUrl = refinedString(
  'CallbackUrl',
  (s) => E.isRight(checkCallbackUrl(s)),
  'must be an absolute http or https URL with a host, written with the characters RFC 3986 allows',
);
export type CallbackUrl = t.TypeOf<typeof CallbackUrl>;

/** An icon: empty, a relative path on this server, or an absolute http(s) URL. */
export const IconUrl = refinedString(
  'IconUrl',
  (s) => s.length <= 2048 && (s === '' || /^\/[^/\\]/.test(s) || /^https?:\/\/[^/?#\s]+[^\s]*$/i.test(s)),
  'must be empty, a path, or an absolute http or https URL',
);
export type IconUrl = t.TypeOf<typeof IconUrl>;

/** What an owner sends to create or replace an app (docs/http-api.md#apps), already decoded. */
export interface AppInput {
  readonly name: AppName;
  readonly callbackUrl: CallbackUrl;
  readonly icon?: IconUrl;
  readonly redirectUris?: readonly string[];
  readonly clientType?: ClientType;
  readonly scope?: readonly string[];
  readonly introspectAny?: boolean;
  /** Enables the client credentials grant (docs/http-api.md#client-credentials-grant). */
  readonly clientCredentials?: boolean;
  readonly clientCredentialsScope?: readonly string[];
}

/** `callback_url` ∪ `redirect_uris`, callback first, in order, without repeats (docs/http-api.md#apps). */
export const registeredRedirectUris = (
  callbackUrl: string,
  redirectUris: readonly string[] | undefined,
): string[] => [...new Set([callbackUrl, ...(redirectUris ?? [callbackUrl])])];

/**
 * Whether the client described itself (dynamic registration or a metadata document) rather than
 * being created by an owner: its scope is capped by `LATCHKEY_DCR_SCOPES` and its consent page
 * warns unless its domain is trusted (docs/http-api.md#registration, #client-id-metadata-documents).
 */
export const isSelfDescribed = (client: OAuthClient): boolean =>
  client.dynamicallyRegistered || client.metadataDocumentUrl !== undefined;

/** The `client_id` a client is known by on the wire: its metadata document URL, else its id. */
export const publicClientId = (client: OAuthClient): string => client.metadataDocumentUrl ?? client.id;
