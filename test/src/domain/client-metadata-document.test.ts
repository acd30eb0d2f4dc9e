import {
  cacheLifetimeSeconds,
  checkClientIdUrl,
  checkMetadataDocument,
  DEFAULT_CACHE_BOUNDS,
  hostInDomains,
  isBlockedClientIdUrl,
  makeMetadataDocumentClients,
  type CacheDirectives,
  type ClientMetadataDocuments,
  type FetchedMetadataDocument,
  type MetadataDocument,
} from '@latchkey/domain';
import { createInMemoryStorage, FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';

const URL_ID = 'https://app.example.com/oauth/client.json';

const aDocument = (overrides: Partial<MetadataDocument> = {}, fields: Record<string, unknown> = {}) => ({
  clientId: URL_ID,
  hasSharedSecret: false,
  registration: {
    redirectUris: ['https://app.example.com/callback'],
    fields: E.right({ tokenEndpointAuthMethod: 'none', clientName: 'Example', ...fields }),
  },
  ...overrides,
});

describe('client id metadata document rules (docs/http-api.md#client-id-metadata-documents)', () => {
  describe('the client id URL', () => {
    const accepted = [
      'https://app.example.com/client.json',
      'https://app.example.com/oauth/client?version=2',
      'https://app.example.com:8443/client.json',
      'https://127.0.0.1:8443/client.json',
    ];
    for (const url of accepted) {
      it(`accepts ${url}`, () => {
        expect(checkClientIdUrl(url)).to.deep.equal(E.right(url));
      });
    }
    const refused = [
      ['http', 'http://app.example.com/client.json'],
      ['an upper-case scheme', 'HTTPS://app.example.com/client.json'],
      ['no path', 'https://app.example.com'],
      ['the root path', 'https://app.example.com/'],
      ['a fragment', 'https://app.example.com/client.json#x'],
      ['an empty fragment', 'https://app.example.com/client.json#'],
      ['a username', 'https://user@app.example.com/client.json'],
      ['a username and password', 'https://user:pw@app.example.com/client.json'],
      ['a . segment', 'https://app.example.com/./client.json'],
      ['a .. segment', 'https://app.example.com/a/../client.json'],
      ['an encoded .. segment', 'https://app.example.com/a/%2e%2E/client.json'],
      ['an upper-case host', 'https://App.Example.com/client.json'],
      ['the default port', 'https://app.example.com:443/client.json'],
      ['whitespace', 'https://app.example.com/client .json'],
      ['a backslash', 'https://app.example.com\\@evil.example/client.json'],
      ['too long', `https://app.example.com/${'a'.repeat(2100)}`],
    ];
    for (const [why, url] of refused) {
      it(`refuses ${why}`, () => {
        expect(E.isLeft(checkClientIdUrl(url ?? ''))).to.equal(true);
      });
    }
  });

  describe('the document', () => {
    it('makes a public client known by its URL, named as it claims', () => {
      const checked = checkMetadataDocument(URL_ID, aDocument({}, { scope: 'mcp user:read' }));
      expect(E.isRight(checked)).to.equal(true);
      if (E.isLeft(checked)) return;
      expect(checked.right).to.deep.include({
        name: 'Example',
        clientType: 'public',
        dynamicallyRegistered: false,
        metadataDocumentUrl: URL_ID,
        tokenEndpointAuthMethod: 'none',
        redirectUris: ['https://app.example.com/callback'],
        scope: ['mcp', 'user:read'],
        icon: '',
      });
    });

    it('is named after its host when it claims no name', () => {
      const checked = checkMetadataDocument(URL_ID, aDocument({}, { clientName: undefined }));
      expect(E.isRight(checked) && checked.right.name).to.equal('app.example.com');
    });

    it('takes an absent token_endpoint_auth_method as none', () => {
      const checked = checkMetadataDocument(URL_ID, aDocument({}, { tokenEndpointAuthMethod: undefined }));
      expect(E.isRight(checked) && checked.right.tokenEndpointAuthMethod).to.equal('none');
    });

    const refused: [string, MetadataDocument][] = [
      ['a client_id other than its URL', aDocument({ clientId: `${URL_ID}/` })],
      ['a client_id differing in case', aDocument({ clientId: URL_ID.toUpperCase() })],
      ['a client secret', aDocument({ hasSharedSecret: true })],
      ['client_secret_post', aDocument({}, { tokenEndpointAuthMethod: 'client_secret_post' })],
      ['client_secret_basic', aDocument({}, { tokenEndpointAuthMethod: 'client_secret_basic' })],
      ['private_key_jwt (not supported)', aDocument({}, { tokenEndpointAuthMethod: 'private_key_jwt' })],
      [
        'no redirect URIs',
        aDocument({
          registration: { redirectUris: [], fields: E.right({ tokenEndpointAuthMethod: 'none' }) },
        }),
      ],
      [
        'an http redirect URI off loopback',
        aDocument({
          registration: { redirectUris: ['http://app.example.com/cb'], fields: E.right({}) },
        }),
      ],
      ['an implicit response type', aDocument({}, { responseTypes: ['token'] })],
      ['a client_credentials grant', aDocument({}, { grantTypes: ['client_credentials'] })],
    ];
    for (const [why, document] of refused) {
      it(`refuses ${why}`, () => {
        expect(E.isLeft(checkMetadataDocument(URL_ID, document))).to.equal(true);
      });
    }
  });

  describe('domains', () => {
    it('match themselves and their subdomains, not look-alikes', () => {
      expect(hostInDomains('example.com', ['example.com'])).to.equal(true);
      expect(hostInDomains('app.example.com', ['example.com'])).to.equal(true);
      expect(hostInDomains('badexample.com', ['example.com'])).to.equal(false);
      expect(hostInDomains('example.com.evil.test', ['example.com'])).to.equal(false);
    });

    it('block a URL exactly, or every URL of a domain', () => {
      expect(isBlockedClientIdUrl(URL_ID, [URL_ID])).to.equal(true);
      expect(isBlockedClientIdUrl(`${URL_ID}?v=2`, [URL_ID])).to.equal(false);
      expect(isBlockedClientIdUrl(URL_ID, ['example.com'])).to.equal(true);
      expect(isBlockedClientIdUrl(URL_ID, ['other.example'])).to.equal(false);
    });
  });

  describe('cache lifetime (floor 60 s, ceiling 24 h, 5 min when the response says nothing)', () => {
    const lifetime = (directives: CacheDirectives) => cacheLifetimeSeconds(directives, DEFAULT_CACHE_BOUNDS);
    it('follows max-age within the bounds', () => {
      expect(lifetime({ noStore: false, maxAgeSeconds: 600 })).to.equal(600);
      expect(lifetime({ noStore: false, maxAgeSeconds: 5 })).to.equal(60);
      expect(lifetime({ noStore: false, maxAgeSeconds: 10 * 86_400 })).to.equal(86_400);
    });
    it('prefers max-age to Expires, and uses Expires without it', () => {
      expect(lifetime({ noStore: false, maxAgeSeconds: 120, expiresInSeconds: 3000 })).to.equal(120);
      expect(lifetime({ noStore: false, expiresInSeconds: 3000 })).to.equal(3000);
    });
    it('keeps a no-store document for the floor only, and an unlabelled one for 5 minutes', () => {
      expect(lifetime({ noStore: true, maxAgeSeconds: 3000 })).to.equal(60);
      expect(lifetime({ noStore: false })).to.equal(300);
    });
  });
});

/** A fetcher that serves what the test sets, counting fetches; `gate` holds fetches until opened. */
class FakeDocuments implements ClientMetadataDocuments {
  fetches = 0;
  answer: E.Either<string, FetchedMetadataDocument> = E.left('nothing served');
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  serve(document: MetadataDocument, cache: CacheDirectives = { noStore: false }): void {
    this.answer = E.right({ document, cache });
  }

  async fetch(): Promise<E.Either<string, FetchedMetadataDocument>> {
    this.fetches += 1;
    if (this.gate !== undefined) await this.gate;
    return this.answer;
  }
}

describe('resolving metadata document clients', () => {
  let clock: FixedClock;
  let documents: FakeDocuments;
  let storage: ReturnType<typeof createInMemoryStorage>;
  let n: number;

  const resolver = (settings: Partial<Parameters<typeof makeMetadataDocumentClients>[2]> = {}) =>
    makeMetadataDocumentClients(
      {
        clients: storage.clients,
        clock,
        random: {
          uuid: () => `00000000-0000-4000-8000-${(n++).toString(16).padStart(12, '0')}`,
          bytes: (length: number) => new Uint8Array(length),
          timeOrderedUuid: () => '00000000-0000-7000-8000-000000000000',
        },
      },
      documents,
      { blocked: [], cache: DEFAULT_CACHE_BOUNDS, maxCachedDocuments: 10, ...settings },
    );

  beforeEach(() => {
    clock = new FixedClock();
    documents = new FakeDocuments();
    storage = createInMemoryStorage();
    n = 1;
  });

  it('fetches once while the document is fresh, and stores the client keyed by its URL', async () => {
    documents.serve(aDocument(), { noStore: false, maxAgeSeconds: 600 });
    const clients = resolver();
    const first = await clients.resolve(URL_ID);
    clock.advance(599);
    const second = await clients.resolve(URL_ID);
    expect(documents.fetches).to.equal(1);
    expect(E.isRight(first) && E.isRight(second) && first.right.id === second.right.id).to.equal(true);
    const stored = await storage.clients.findByMetadataDocumentUrl(URL_ID);
    expect(stored?.metadataDocumentUrl).to.equal(URL_ID);
  });

  it('sees a changed document once the cached one expires, keeping the stored id', async () => {
    documents.serve(aDocument(), { noStore: false, maxAgeSeconds: 120 });
    const clients = resolver();
    const first = await clients.resolve(URL_ID);
    documents.serve(
      aDocument({
        registration: {
          redirectUris: ['https://app.example.com/new'],
          fields: E.right({ clientName: 'Renamed' }),
        },
      }),
    );
    clock.advance(119);
    const cached = await clients.resolve(URL_ID);
    expect(E.isRight(cached) && cached.right.name).to.equal('Example');
    clock.advance(1);
    const fresh = await clients.resolve(URL_ID);
    expect(documents.fetches).to.equal(2);
    expect(E.isRight(fresh) && fresh.right).to.deep.include({
      name: 'Renamed',
      redirectUris: ['https://app.example.com/new'],
    });
    expect(E.isRight(first) && E.isRight(fresh) && first.right.id === fresh.right.id).to.equal(true);
  });

  it('keeps a no-store document for the floor, and a long-lived one no longer than the ceiling', async () => {
    documents.serve(aDocument(), { noStore: true });
    const clients = resolver();
    await clients.resolve(URL_ID);
    clock.advance(59);
    await clients.resolve(URL_ID);
    expect(documents.fetches).to.equal(1);
    clock.advance(1);
    documents.serve(aDocument(), { noStore: false, maxAgeSeconds: 365 * 86_400 });
    await clients.resolve(URL_ID);
    expect(documents.fetches).to.equal(2);
    clock.advance(86_400);
    await clients.resolve(URL_ID);
    expect(documents.fetches).to.equal(3);
  });

  it('shares one fetch between concurrent lookups of one URL', async () => {
    documents.serve(aDocument());
    documents.hold();
    const clients = resolver();
    const lookups = [clients.resolve(URL_ID), clients.resolve(URL_ID), clients.resolve(URL_ID)];
    documents.release();
    const results = await Promise.all(lookups);
    expect(documents.fetches).to.equal(1);
    expect(results.every(E.isRight)).to.equal(true);
  });

  it('keeps at most maxCachedDocuments, dropping the least recently used', async () => {
    const clients = resolver({ maxCachedDocuments: 2 });
    const urls = ['https://a.example/c.json', 'https://b.example/c.json', 'https://c.example/c.json'];
    for (const url of urls) {
      documents.serve(aDocument({ clientId: url }));
      await clients.resolve(url);
    }
    expect(documents.fetches).to.equal(3);
    documents.serve(aDocument({ clientId: urls[2] ?? '' }));
    await clients.resolve(urls[2] ?? '');
    expect(documents.fetches, 'the newest is still cached').to.equal(3);
    documents.serve(aDocument({ clientId: urls[0] ?? '' }));
    await clients.resolve(urls[0] ?? '');
    expect(documents.fetches, 'the oldest was dropped').to.equal(4);
  });

  it('refuses a blocked URL or domain without fetching', async () => {
    documents.serve(aDocument());
    for (const blocked of [[URL_ID], ['example.com']]) {
      const result = await resolver({ blocked }).resolve(URL_ID);
      expect(result).to.deep.equal(E.left({ kind: 'blocked' }));
    }
    expect(documents.fetches).to.equal(0);
  });

  it('refuses a malformed URL without fetching', async () => {
    const result = await resolver().resolve('https://app.example.com/');
    expect(E.isLeft(result) && result.left.kind).to.equal('unusable');
    expect(documents.fetches).to.equal(0);
  });

  it('does not cache a failure: the next lookup fetches again', async () => {
    const clients = resolver();
    const failed = await clients.resolve(URL_ID);
    expect(E.isLeft(failed) && failed.left.kind).to.equal('unusable');
    documents.serve(aDocument());
    expect(E.isRight(await clients.resolve(URL_ID))).to.equal(true);
    expect(documents.fetches).to.equal(2);
  });

  it('refuses an invalid document and stores nothing', async () => {
    documents.serve(aDocument({ clientId: 'https://other.example/client.json' }));
    const result = await resolver().resolve(URL_ID);
    expect(E.isLeft(result) && result.left.kind).to.equal('unusable');
    expect(await storage.clients.findByMetadataDocumentUrl(URL_ID)).to.equal(undefined);
  });
});
