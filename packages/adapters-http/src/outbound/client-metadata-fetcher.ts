import { promises as dns } from 'node:dns';
import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import {
  type CacheDirectives,
  type ClientMetadataDocuments,
  type Clock,
  type FetchedMetadataDocument,
  type MetadataDocument,
} from '@latchkey/domain';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import ipaddr from 'ipaddr.js';
import { decodeRegistration } from '../wire/client-metadata.js';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to every address it has (as `dns.lookup` with `all`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dns.lookup(hostname, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

export interface MetadataFetcherOptions {
  /**
   * `LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS`: lets the fetch reach loopback, private and other
   * non-public addresses (tests and closed networks only). Lifts the address check and nothing else.
   */
  readonly allowPrivateAddresses: boolean;
  readonly clock: Clock;
  /** Connect, TLS and read together; the draft asks for a short one. */
  readonly timeoutMs?: number;
  /** Largest document read (draft §8.7 suggests 5 KiB). */
  readonly maxBytes?: number;
  readonly resolve?: Resolver;
  /**
   * Trust anchors added to Node's own (as `NODE_EXTRA_CA_CERTS` adds them): for a test CA. The
   * certificate is always verified against the host name; nothing here turns that off.
   */
  readonly extraCaCertificates?: readonly string[];
}

export const DEFAULT_FETCH_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_DOCUMENT_BYTES = 5 * 1024;

/**
 * Whether an address is one the fetch may connect to: global unicast only. Loopback, private
 * (RFC 1918), link-local, CGNAT (100.64/10), multicast, unspecified, broadcast, reserved and
 * documentation ranges, IPv6 unique-local (fc00::/7), and the IPv6 forms that carry an IPv4
 * address (IPv4-mapped, NAT64, 6to4, Teredo) are all refused; an IPv4-mapped address is judged
 * as the IPv4 address it is.
 */
export const isPublicAddress = (address: string): boolean => {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  return parsed.range() === 'unicast';
};

/** `Cache-Control` and `Expires` of the response (RFC 9111 §5.2, §5.3). */
export const cacheDirectives = (response: IncomingMessage, now: Date): CacheDirectives => {
  const control = (response.headers['cache-control'] ?? '').toLowerCase();
  const directives = control.split(',').map((d) => d.trim());
  const noStore = directives.some((d) => d === 'no-store' || d === 'no-cache');
  const maxAge = directives
    .map((d) => /^max-age\s*=\s*"?(\d{1,10})"?$/.exec(d)?.[1])
    .find((v) => v !== undefined);
  const expires = response.headers.expires === undefined ? NaN : Date.parse(response.headers.expires);
  const date = response.headers.date === undefined ? NaN : Date.parse(response.headers.date);
  const base = Number.isNaN(date) ? now.getTime() : date;
  return {
    noStore,
    ...(maxAge === undefined ? {} : { maxAgeSeconds: Number(maxAge) }),
    ...(Number.isNaN(expires) ? {} : { expiresInSeconds: Math.max(0, Math.floor((expires - base) / 1000)) }),
  };
};

/** The two fields read apart from the RFC 7591 ones: the document's own `client_id`, and any secret. */
const DocumentWire = t.type({
  client_id: t.string,
});

/** Decodes the document's JSON at the edge (draft §4): a JSON object with a string `client_id`. */
export const decodeMetadataDocument = (text: string): E.Either<string, MetadataDocument> => {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return E.left('the document is not JSON');
  }
  if (!t.UnknownRecord.is(body)) return E.left('the document is not a JSON object');
  const wire = DocumentWire.decode(body);
  if (E.isLeft(wire)) return E.left('the document has no client_id string');
  const registration = decodeRegistration(body);
  if (E.isLeft(registration)) return E.left(registration.left.description);
  return E.right({
    clientId: wire.right.client_id,
    registration: registration.right,
    hasSharedSecret: body.client_secret !== undefined || body.client_secret_expires_at !== undefined,
  });
};

/** `work`, or a failure once `ms` have passed (the timer measures real time: it bounds a wait). */
const withTimeout = <A>(work: Promise<E.Either<string, A>>, ms: number): Promise<E.Either<string, A>> => {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<E.Either<string, A>>((resolve) => {
    timer = setTimeout(() => {
      resolve(E.left('the host name did not resolve in time'));
    }, ms);
  });
  return Promise.race([work, late]).finally(() => {
    clearTimeout(timer);
  });
};

const isJson = (contentType: string | undefined): boolean =>
  (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() === 'application/json';

/**
 * Fetches Client ID Metadata Documents safely (draft-ietf-oauth-client-id-metadata-document §8.6,
 * §8.7; docs/http-api.md#client-id-metadata-documents): it resolves the host itself and refuses
 * unless every address is public (`isPublicAddress`), then connects to the address it checked
 * (the connection's own lookup answers with it, so a second DNS answer cannot change it) while
 * TLS still verifies the certificate for the host name; one GET, no redirects (a 3xx fails),
 * status 200 only, `application/json` only, at most `maxBytes` read, everything within
 * `timeoutMs`.
 */
export class ClientMetadataFetcher implements ClientMetadataDocuments {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly resolve: Resolver;
  private readonly ca: string[] | undefined;

  constructor(private readonly options: MetadataFetcherOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
    this.resolve = options.resolve ?? systemResolver;
    // Without `ca`, Node trusts its roots and NODE_EXTRA_CA_CERTS; with it, only what it lists.
    this.ca =
      options.extraCaCertificates === undefined || options.extraCaCertificates.length === 0
        ? undefined
        : [...rootCertificates, ...options.extraCaCertificates];
  }

  async fetch(url: string): Promise<E.Either<string, FetchedMetadataDocument>> {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return E.left('not a URL');
    }
    if (target.protocol !== 'https:') return E.left('not https');
    const started = Date.now();
    const address = await withTimeout(
      this.checkedAddress(target.hostname.replace(/^\[|\]$/g, '')),
      this.timeoutMs,
    );
    if (E.isLeft(address)) return address;
    return this.get(target, address.right, Math.max(1, this.timeoutMs - (Date.now() - started)));
  }

  /** The address to connect to: every address of the host must be allowed; the first is used. */
  private async checkedAddress(host: string): Promise<E.Either<string, ResolvedAddress>> {
    let addresses: readonly ResolvedAddress[];
    if (ipaddr.isValid(host)) {
      addresses = [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }];
    } else {
      try {
        addresses = await this.resolve(host);
      } catch {
        return E.left('the host does not resolve');
      }
    }
    const [first] = addresses;
    if (first === undefined) return E.left('the host does not resolve');
    if (!this.options.allowPrivateAddresses && !addresses.every((a) => isPublicAddress(a.address)))
      return E.left('the host resolves to a non-public address');
    return E.right(first);
  }

  private get(
    target: URL,
    address: ResolvedAddress,
    timeoutMs: number,
  ): Promise<E.Either<string, FetchedMetadataDocument>> {
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all === true) callback(null, [{ address: address.address, family: address.family }]);
      else callback(null, address.address, address.family);
    };
    return new Promise((settle) => {
      let done = false;
      const finish = (result: E.Either<string, FetchedMetadataDocument>): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        req.destroy();
        settle(result);
      };
      const req = request(
        {
          host: target.hostname.replace(/^\[|\]$/g, ''),
          port: target.port === '' ? 443 : Number(target.port),
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers: { Accept: 'application/json' },
          lookup: pinned,
          agent: false,
          ...(this.ca === undefined ? {} : { ca: this.ca }),
          rejectUnauthorized: true,
        },
        (response) => {
          this.read(response, finish);
        },
      );
      const timer = setTimeout(() => {
        finish(E.left('the fetch timed out'));
      }, timeoutMs);
      req.on('error', (error) => {
        finish(E.left(`the fetch failed: ${error.message}`));
      });
      req.end();
    });
  }

  private read(
    response: IncomingMessage,
    finish: (result: E.Either<string, FetchedMetadataDocument>) => void,
  ): void {
    const status = response.statusCode ?? 0;
    if (status >= 300 && status < 400) {
      finish(E.left('the document URL redirects'));
      return;
    }
    if (status !== 200) {
      finish(E.left(`the document URL answered ${status}`));
      return;
    }
    if (!isJson(response.headers['content-type'])) {
      finish(E.left('the document is not application/json'));
      return;
    }
    const declared = Number(response.headers['content-length'] ?? '0');
    if (declared > this.maxBytes) {
      finish(E.left('the document is too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBytes) finish(E.left('the document is too large'));
      else chunks.push(chunk);
    });
    response.on('error', (error) => {
      finish(E.left(`the fetch failed: ${error.message}`));
    });
    response.on('end', () => {
      const document = decodeMetadataDocument(Buffer.concat(chunks).toString('utf8'));
      finish(
        E.map((decoded: MetadataDocument) => ({
          document: decoded,
          cache: cacheDirectives(response, this.options.clock.now()),
        }))(document),
      );
    });
  }
}
