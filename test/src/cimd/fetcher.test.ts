import {
  ClientMetadataFetcher,
  isPublicAddress,
  type MetadataFetcherOptions,
  type ResolvedAddress,
  type Resolver,
} from '@latchkey/adapters-http';
import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import * as E from 'fp-ts/lib/Either.js';
import {
  aDocument,
  DocumentServer,
  json,
  makeTestCertificates,
  type TestCertificates,
} from '../support/cimd.js';

const PATH = '/client.json';

/** A resolver that answers each call with the next of `answers` (the last one repeated), counting calls. */
const scriptedResolver = (...answers: string[][]): Resolver & { calls: number } => {
  const resolver = Object.assign(
    (): Promise<readonly ResolvedAddress[]> => {
      const answer = answers[Math.min(resolver.calls, answers.length - 1)] ?? [];
      resolver.calls += 1;
      return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
    },
    { calls: 0 },
  );
  return resolver;
};

describe('the client metadata document fetcher (docs/http-api.md#client-id-metadata-documents)', () => {
  let certificates: TestCertificates;
  let server: DocumentServer;

  before(async () => {
    certificates = await makeTestCertificates();
  });
  beforeEach(async () => {
    server = await DocumentServer.start(certificates);
  });
  afterEach(() => server.stop());

  /** `https://cimd.test:<port>/client.json`, resolved by `resolve`. */
  const documentUrl = (path = PATH): string => server.url(path, 'cimd.test');

  const fetcher = (options: Partial<MetadataFetcherOptions> = {}): ClientMetadataFetcher =>
    new ClientMetadataFetcher({
      allowPrivateAddresses: true,
      clock: new FixedClock(),
      resolve: scriptedResolver(['127.0.0.1']),
      extraCaCertificates: [certificates.ca],
      timeoutMs: 2000,
      ...options,
    });

  const failureOf = async (result: Promise<E.Either<string, unknown>>): Promise<string> => {
    const settled = await result;
    expect(E.isLeft(settled), 'the fetch should fail').to.equal(true);
    return E.isLeft(settled) ? settled.left : '';
  };

  it('fetches and decodes a valid document over verified TLS', async () => {
    server.serve(PATH, json(aDocument(documentUrl()), { 'Cache-Control': 'public, max-age=120' }));
    const result = await fetcher().fetch(documentUrl());
    expect(E.isRight(result), JSON.stringify(result)).to.equal(true);
    if (E.isLeft(result)) return;
    expect(result.right.document.clientId).to.equal(documentUrl());
    expect(result.right.document.hasSharedSecret).to.equal(false);
    expect(result.right.document.registration.redirectUris).to.deep.equal(['http://127.0.0.1:8123/callback']);
    expect(result.right.cache).to.deep.equal({ noStore: false, maxAgeSeconds: 120 });
  });

  it('reads no-store, and Expires against the Date of the response', async () => {
    server.serve(PATH, json(aDocument(documentUrl()), { 'Cache-Control': 'no-store' }));
    const noStore = await fetcher().fetch(documentUrl());
    expect(E.isRight(noStore) && noStore.right.cache.noStore).to.equal(true);
    server.serve(
      PATH,
      json(aDocument(documentUrl()), {
        Date: 'Mon, 07 Dec 2026 10:00:00 GMT',
        Expires: 'Mon, 07 Dec 2026 10:10:00 GMT',
      }),
    );
    const expires = await fetcher().fetch(documentUrl());
    expect(E.isRight(expires) && expires.right.cache).to.deep.equal({
      noStore: false,
      expiresInSeconds: 600,
    });
  });

  it('refuses a certificate it does not trust (verification is never off)', async () => {
    server.serve(PATH, json(aDocument(documentUrl())));
    await failureOf(fetcher({ extraCaCertificates: [] }).fetch(documentUrl()));
  });

  describe('addresses', () => {
    const refused = [
      ['loopback', '127.0.0.1'],
      ['private (10/8)', '10.1.2.3'],
      ['private (172.16/12)', '172.20.0.1'],
      ['private (192.168/16)', '192.168.1.1'],
      ['link-local (cloud metadata)', '169.254.169.254'],
      ['CGNAT (100.64/10)', '100.64.0.1'],
      ['multicast', '224.0.0.1'],
      ['unspecified', '0.0.0.0'],
      ['broadcast', '255.255.255.255'],
      ['IPv6 loopback', '::1'],
      ['IPv6 unspecified', '::'],
      ['IPv6 unique-local (fc00::/7)', 'fd12:3456::1'],
      ['IPv6 link-local', 'fe80::1'],
      ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
      ['IPv4-mapped private', '::ffff:10.0.0.1'],
      ['NAT64 of a private address', '64:ff9b::a00:1'],
    ];
    for (const [name, address] of refused) {
      it(`counts ${name} (${address}) as not public`, () => {
        expect(isPublicAddress(address ?? '')).to.equal(false);
      });
    }

    it('counts global unicast addresses as public', () => {
      for (const address of ['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])
        expect(isPublicAddress(address), address).to.equal(true);
    });

    it('refuses a host that resolves to a private address, without connecting', async () => {
      server.serve(PATH, json(aDocument(documentUrl())));
      const resolve = scriptedResolver(['127.0.0.1']);
      await failureOf(fetcher({ allowPrivateAddresses: false, resolve }).fetch(documentUrl()));
      expect(resolve.calls).to.equal(1);
      expect(server.hitsOf(PATH)).to.equal(0);
    });

    it('refuses a host with one private address among public ones', async () => {
      const resolve = scriptedResolver(['8.8.8.8', '10.0.0.1']);
      await failureOf(fetcher({ allowPrivateAddresses: false, resolve }).fetch(documentUrl()));
    });

    it('refuses a loopback IP literal without resolving anything', async () => {
      server.serve(PATH, json(aDocument(server.url(PATH))));
      const resolve = scriptedResolver(['8.8.8.8']);
      await failureOf(fetcher({ allowPrivateAddresses: false, resolve }).fetch(server.url(PATH)));
      expect(resolve.calls).to.equal(0);
      expect(server.hitsOf(PATH)).to.equal(0);
    });

    it('connects to the address it checked: a second DNS answer cannot move the connection', async () => {
      server.serve(PATH, json(aDocument(documentUrl())));
      // The first answer is where the server listens; any later lookup would answer an address
      // where nothing listens, so the fetch succeeds only on the address that was checked.
      const resolve = scriptedResolver(['127.0.0.1'], ['127.0.0.2']);
      const result = await fetcher({ resolve }).fetch(documentUrl());
      expect(E.isRight(result), JSON.stringify(result)).to.equal(true);
      expect(resolve.calls).to.equal(1);
      expect(server.hitsOf(PATH)).to.equal(1);
    });

    it('with LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS, reaches a loopback address', async () => {
      server.serve(PATH, json(aDocument(server.url(PATH))));
      const result = await fetcher({ allowPrivateAddresses: true }).fetch(server.url(PATH));
      expect(E.isRight(result), JSON.stringify(result)).to.equal(true);
    });
  });

  describe('responses', () => {
    it('refuses a redirect and does not follow it', async () => {
      server.serve('/elsewhere.json', json(aDocument(documentUrl())));
      server.serve(PATH, (_req, res) => {
        res.writeHead(302, { Location: documentUrl('/elsewhere.json') });
        res.end();
      });
      await failureOf(fetcher().fetch(documentUrl()));
      expect(server.hitsOf('/elsewhere.json')).to.equal(0);
    });

    it('refuses a status other than 200', async () => {
      server.serve(PATH, json(aDocument(documentUrl()), {}, 203));
      await failureOf(fetcher().fetch(documentUrl()));
      await failureOf(fetcher().fetch(documentUrl('/missing.json')));
    });

    it('refuses a document over 5 KiB, declared or streamed', async () => {
      const big = aDocument(documentUrl(), { client_name: 'x'.repeat(6000) });
      server.serve(PATH, json(big));
      await failureOf(fetcher().fetch(documentUrl()));
      server.serve(PATH, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        const text = JSON.stringify(big);
        res.write(text.slice(0, 3000));
        res.end(text.slice(3000));
      });
      await failureOf(fetcher().fetch(documentUrl()));
    });

    it('gives up on a server that does not answer within the timeout', async () => {
      server.hang(PATH);
      await failureOf(fetcher({ timeoutMs: 150 }).fetch(documentUrl()));
      expect(server.hitsOf(PATH)).to.equal(1);
    });

    it('gives up on a body that stops half-way', async () => {
      server.serve(PATH, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"client_id":');
      });
      await failureOf(fetcher({ timeoutMs: 150 }).fetch(documentUrl()));
    });

    it('refuses a content type other than application/json, and takes its parameters', async () => {
      server.serve(PATH, json(aDocument(documentUrl()), { 'Content-Type': 'text/html' }));
      await failureOf(fetcher().fetch(documentUrl()));
      server.serve(PATH, json(aDocument(documentUrl()), { 'Content-Type': 'text/plain' }));
      await failureOf(fetcher().fetch(documentUrl()));
      server.serve(
        PATH,
        json(aDocument(documentUrl()), { 'Content-Type': 'application/json; charset=utf-8' }),
      );
      expect(E.isRight(await fetcher().fetch(documentUrl()))).to.equal(true);
    });

    it('refuses a body that is not a JSON object with a client_id string', async () => {
      for (const body of ['not json', '[]', '"text"', JSON.stringify({ client_name: 'x' })]) {
        server.serve(PATH, json(body));
        await failureOf(fetcher().fetch(documentUrl()));
      }
    });

    it('notes a shared secret in the document', async () => {
      server.serve(PATH, json(aDocument(documentUrl(), { client_secret: 's3cret' })));
      const result = await fetcher().fetch(documentUrl());
      expect(E.isRight(result) && result.right.document.hasSharedSecret).to.equal(true);
    });
  });
});
