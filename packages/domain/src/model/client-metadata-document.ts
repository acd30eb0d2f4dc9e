import * as E from 'fp-ts/lib/Either.js';
import type { ClientId, OAuthClient } from './client.js';
import { checkRegistration, type RegistrationRequest } from './registration.js';
import { parseScope } from './scope.js';

/**
 * Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document,
 * docs/http-api.md#client-id-metadata-documents): a `client_id` that is an https URL names a JSON
 * document of RFC 7591 client metadata, fetched from that URL.
 */

/** Longer client ids are refused before anything is fetched. */
export const MAX_CLIENT_ID_URL_LENGTH = 2048;

/** Whether a `client_id` is meant as a metadata document URL (and so is never a registered id). */
export const isClientIdUrl = (clientId: string): boolean => /^https:\/\//i.test(clientId);

const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * The shape rules for a client identifier URL (draft §3): the `https` scheme, a host, a path
 * other than `/`, no fragment, no username or password, no `.` or `..` segments (also
 * percent-encoded). A query is allowed, as the draft allows it. The URL must also be written as
 * a WHATWG URL serialises it (lower-case scheme and host, no default port): the document's
 * `client_id` is compared with it by simple string comparison (RFC 3986 §6.2.1), so one client
 * has one spelling.
 */
export const checkClientIdUrl = (raw: string): E.Either<string, string> => {
  if (raw.length > MAX_CLIENT_ID_URL_LENGTH)
    return E.left(`must be at most ${MAX_CLIENT_ID_URL_LENGTH} characters`);
  if (/[\s\u0000-\u001f\u007f\\]/.test(raw)) return E.left('must not contain whitespace or backslashes');
  if (!raw.startsWith('https://')) return E.left('must use the https scheme');
  if (raw.includes('#')) return E.left('must not contain a fragment');
  const authority = /^https:\/\/([^/?#]*)/.exec(raw)?.[1] ?? '';
  if (authority.includes('@')) return E.left('must not contain a username or password');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return E.left('must be an absolute URL');
  }
  if (url.hostname === '') return E.left('must have a host');
  const path = raw.slice(`https://${authority}`.length).split('?', 1)[0] ?? '';
  if (path === '' || path === '/') return E.left('must have a path');
  if (path.split('/').some((segment) => DOT_SEGMENT.test(segment)))
    return E.left('must not contain . or .. path segments');
  if (url.href !== raw) return E.left('must be written in normal form (lower-case host, no default port)');
  return E.right(raw);
};

/** The host that vouches for a metadata document: the host of its URL (shown on the consent page). */
export const clientIdHost = (url: string): string => {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
};

/**
 * Whether `host` is one of `domains` or a subdomain of one (`example.com` covers
 * `app.example.com`). Used for trusted domains and the block list.
 */
export const hostInDomains = (host: string, domains: readonly string[]): boolean => {
  const h = host.toLowerCase();
  // An IP address has no subdomains: only the same address matches.
  const isAddress = h.includes(':') || /^[\d.]+$/.test(h);
  return domains.some((domain) => {
    const d = domain.toLowerCase().replace(/^\.+/, '');
    return d !== '' && (h === d || (!isAddress && h.endsWith(`.${d}`)));
  });
};

/** Whether a client id URL is on the operator's block list: by exact URL, or by its host's domain. */
export const isBlockedClientIdUrl = (url: string, blocked: readonly string[]): boolean =>
  blocked.includes(url) ||
  hostInDomains(
    clientIdHost(url),
    blocked.filter((entry) => !entry.includes('/')),
  );

/** A fetched document as the HTTP adapter decoded it: RFC 7591 fields plus the document's own `client_id`. */
export interface MetadataDocument {
  readonly clientId: string;
  readonly registration: RegistrationRequest;
  /** Whether it carried `client_secret` or `client_secret_expires_at`, which the draft forbids (§4). */
  readonly hasSharedSecret: boolean;
}

/**
 * The document's validity (draft §4, §8.1): its `client_id` equals the URL exactly; redirect
 * URIs as for a client that registers itself (docs/http-api.md#registration, RFC 8252 §7); the
 * token endpoint method is `none` (absent means `none` here: no shared secret can exist); the
 * other fields as in a registration. `Right`: the client, still without its stored id.
 */
export const checkMetadataDocument = (
  url: string,
  document: MetadataDocument,
): E.Either<string, Omit<OAuthClient, 'id' | 'createdAt' | 'updatedAt'>> => {
  if (document.clientId !== url) return E.left('the document client_id is not its URL');
  if (document.hasSharedSecret) return E.left('the document carries a client secret');
  const checked = checkRegistration(document.registration);
  if (E.isLeft(checked)) return E.left(checked.left.description);
  const { registration, fields } = checked.right;
  const method = fields.tokenEndpointAuthMethod ?? 'none';
  if (method !== 'none') return E.left('token_endpoint_auth_method must be none');
  const scope = parseScope(registration.scope);
  return E.right({
    name: registration.metadata.clientName ?? clientIdHost(url),
    callbackUrl: registration.redirectUris[0] ?? '',
    redirectUris: [...new Set(registration.redirectUris)],
    // logo_uri is kept as metadata, never shown: neither the server nor the page loads it.
    icon: '',
    clientType: 'public',
    dynamicallyRegistered: false,
    metadataDocumentUrl: url,
    grantTypes: registration.grantTypes,
    responseTypes: registration.responseTypes,
    tokenEndpointAuthMethod: 'none',
    ...(scope.length === 0 ? {} : { scope }),
    introspectAny: false,
    metadata: registration.metadata,
  });
};

/** A metadata document client with its stored id and times. */
export const metadataDocumentClient = (
  checked: Omit<OAuthClient, 'id' | 'createdAt' | 'updatedAt'>,
  id: ClientId,
  now: Date,
): OAuthClient => ({ ...checked, id, createdAt: now, updatedAt: now });

/** What the document's HTTP response said about caching (RFC 9111), as the fetcher read it. */
export interface CacheDirectives {
  /** `no-store` or `no-cache`. */
  readonly noStore: boolean;
  /** `max-age` (wins over `Expires`, RFC 9111 §5.3). */
  readonly maxAgeSeconds?: number;
  /** From `Expires` less `Date` (or the time of the fetch). */
  readonly expiresInSeconds?: number;
}

/** How long a fetched document is used (docs/http-api.md#client-id-metadata-documents). */
export interface CacheBounds {
  readonly floorSeconds: number;
  readonly ceilingSeconds: number;
  readonly defaultSeconds: number;
}

export const DEFAULT_CACHE_BOUNDS: CacheBounds = {
  floorSeconds: 60,
  ceilingSeconds: 86_400,
  defaultSeconds: 300,
};

/**
 * The lifetime of a fetched document: what its headers say, within the floor and the ceiling.
 * `no-store` (and `max-age=0`) get the floor: a sign-in fetches a document once, not on every
 * step of the flow.
 */
export const cacheLifetimeSeconds = (directives: CacheDirectives, bounds: CacheBounds): number => {
  const said = directives.noStore
    ? 0
    : (directives.maxAgeSeconds ?? directives.expiresInSeconds ?? bounds.defaultSeconds);
  return Math.min(bounds.ceilingSeconds, Math.max(bounds.floorSeconds, said));
};
