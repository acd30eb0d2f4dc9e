import { FixedClock } from '@latchkey/domain/in-memory';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { expect } from 'chai';
import { describeOnEachStorage, type OAuthHarness } from '../oauth/flow-helpers.js';
import {
  aDocument,
  DocumentServer,
  json,
  makeTestCertificates,
  type TestCertificates,
} from '../support/cimd.js';
import { bearer, OWNER, request } from '../support/server.js';
import { callToolOk, consentAsOwner, mcpUrl, MCP_PATH, rejectionOf } from './helpers.js';

const REDIRECT_URL = 'http://localhost:8090/callback';
const DOCUMENT_PATH = '/mcp/client-metadata.json';
const CLIENT_INFO = { name: 'latchkey-sdk-cimd-test', version: '1.0.0' };

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: URLSearchParams;
}

const recordingFetch =
  (seen: Seen[]): FetchLike =>
  async (url, init) => {
    const response = await fetch(url, init);
    const body = typeof init?.body === 'string' || init?.body instanceof URLSearchParams ? init.body : '';
    seen.push({
      method: init?.method ?? 'GET',
      path: new URL(String(url)).pathname,
      status: response.status,
      body: new URLSearchParams(body),
    });
    return response;
  };

/**
 * An MCP host whose client is known by a metadata document URL: the SDK presents
 * `clientMetadataUrl` as its client_id when the server advertises support, and registers nothing.
 * In the browser it plays the owner, who signs in and allows.
 */
class DocumentClientHost implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  private information: OAuthClientInformationMixed | undefined;
  private current: OAuthTokens | undefined;
  private verifier = '';
  private readonly codes: string[] = [];

  constructor(
    private readonly issuer: string,
    readonly clientMetadataUrl: string,
  ) {}

  get redirectUrl(): string {
    return REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'SDK Document Client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.information;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.information = information;
  }

  tokens(): OAuthTokens | undefined {
    return this.current;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.current = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    if (scope === 'all' || scope === 'client') this.information = undefined;
    if (scope === 'all' || scope === 'tokens') this.current = undefined;
    if (scope === 'all' || scope === 'verifier') this.verifier = '';
  }

  async redirectToAuthorization(authorizationUrl: URL): Promise<void> {
    this.authorizationUrls.push(authorizationUrl);
    const location = await consentAsOwner(this.issuer, authorizationUrl, REDIRECT_URL);
    this.codes.push(location.searchParams.get('code') ?? '');
  }

  takeCode(): string {
    const code = this.codes.shift();
    expect(code, 'a code from the consent page').to.be.a('string');
    return code ?? '';
  }

  get clientId(): string | undefined {
    return this.information?.client_id;
  }

  get refreshToken(): string | undefined {
    return this.current?.refresh_token;
  }
}

describeOnEachStorage(
  'the official MCP SDK client with a Client ID Metadata Document (docs/http-api.md#client-id-metadata-documents)',
  (storage) => {
    let certificates: TestCertificates;
    let documents: DocumentServer;
    let clock: FixedClock;
    let h: OAuthHarness;
    let host: DocumentClientHost;
    let seen: Seen[];
    let documentUrl: string;
    const clients: Client[] = [];

    const transport = () =>
      new StreamableHTTPClientTransport(new URL(mcpUrl(h.url)), {
        authProvider: host,
        fetch: recordingFetch(seen),
      });

    const connectFromScratch = async () => {
      const first = transport();
      expect(await rejectionOf(new Client(CLIENT_INFO).connect(first))).to.be.instanceOf(UnauthorizedError);
      await first.finishAuth(host.takeCode());
      const second = transport();
      const client = new Client(CLIENT_INFO);
      clients.push(client);
      await client.connect(second);
      return { client, transport: second };
    };

    const tokenRequests = (grantType: string): Seen[] =>
      seen.filter((s) => s.path === '/oauth2/tokens' && s.body.get('grant_type') === grantType);

    before(async () => {
      certificates = await makeTestCertificates();
    });
    beforeEach(async () => {
      documents = await DocumentServer.start(certificates);
      documentUrl = documents.url(DOCUMENT_PATH, 'mcp-client.cimd.test');
      documents.serve(
        DOCUMENT_PATH,
        json(
          aDocument(documentUrl, {
            client_name: 'SDK Document Client',
            redirect_uris: [REDIRECT_URL],
            scope: 'mcp',
          }),
        ),
      );
      clock = new FixedClock(new Date());
      h = await storage.start(
        { LATCHKEY_CIMD_ALLOW_PRIVATE_HOSTS: 'true' },
        {
          clock,
          metadataDocumentFetch: {
            extraCaCertificates: [certificates.ca],
            resolve: () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]),
          },
        },
      );
      host = new DocumentClientHost(h.url, documentUrl);
      seen = [];
    });
    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await h.server.stop();
      await documents.stop();
    });

    it('discovers, presents its document URL as client_id without registering, and calls a tool', async () => {
      const { client } = await connectFromScratch();
      expect(seen.filter((s) => s.path === '/oauth2/register')).to.have.length(0);
      expect(
        seen.some((s) => s.path === '/.well-known/oauth-authorization-server' && s.status === 200),
      ).to.equal(true);
      expect(host.clientId).to.equal(documentUrl);
      const authorize = host.authorizationUrls[0]?.searchParams;
      expect(authorize?.get('client_id')).to.equal(documentUrl);
      expect(authorize?.get('code_challenge_method')).to.equal('S256');
      const [exchange] = tokenRequests('authorization_code');
      expect(exchange?.status).to.equal(200);
      expect(exchange?.body.get('client_id')).to.equal(documentUrl);
      expect(exchange?.body.has('client_secret')).to.equal(false);
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({ email: OWNER.email });
      expect(documents.hitsOf(DOCUMENT_PATH)).to.equal(1);
    });

    it('refreshes an expired access token, fetching the document again once its cache expired', async () => {
      const { client } = await connectFromScratch();
      const firstRefreshToken = host.refreshToken;
      clock.advance(3601);
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({ email: OWNER.email });
      expect(tokenRequests('refresh_token').map((r) => r.status)).to.deep.equal([200]);
      expect(host.refreshToken).to.be.a('string').and.not.equal(firstRefreshToken);
      expect(host.authorizationUrls).to.have.length(1);
      expect(documents.hitsOf(DOCUMENT_PATH)).to.equal(2);
    });

    it('authorizes again after the owner revokes it with DELETE /oauth2/tokens?client_id=<URL>', async () => {
      const { client, transport: current } = await connectFromScratch();
      const response = await request(`${h.url}/oauth2/tokens?client_id=${encodeURIComponent(documentUrl)}`, {
        method: 'DELETE',
        headers: bearer(h.session),
      });
      expect(response.status, response.text).to.equal(204);
      const refused = await rejectionOf(callToolOk(client, 'latchkey_get_authenticated_user'));
      expect(refused).to.be.instanceOf(UnauthorizedError);
      expect(seen.filter((s) => s.path === MCP_PATH).at(-1)?.status).to.equal(401);
      expect(tokenRequests('refresh_token').map((r) => r.status)).to.deep.equal([400]);
      expect(host.authorizationUrls).to.have.length(2);
      await current.finishAuth(host.takeCode());
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({ email: OWNER.email });
      expect(host.clientId, 'still the document URL').to.equal(documentUrl);
    });
  },
);
