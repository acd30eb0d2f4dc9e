import type { Overrides } from '@latchkey/app';
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
import type { WireApp } from '../http/admin-api.js';
import {
  createClient,
  meStatus,
  obtainTokens,
  startOAuthServer,
  userIdOf,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { withPostgres, type PostgresHarness } from '../support/postgres.js';
import { bearer, OWNER, request } from '../support/server.js';
import {
  callToolOk,
  mcpResourceMetadataUrl,
  consentAsOwner,
  mcpUrl,
  MCP_PATH,
  rejectionOf,
  toolNames,
  USER_TOOLS,
} from './helpers.js';

type AuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic';

/** One HTTP request the SDK made, as the server answered it. */
interface Seen {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body: URLSearchParams;
  readonly authorization: string | null;
}

const bodyOf = (body: RequestInit['body']): URLSearchParams => {
  if (body instanceof URLSearchParams) return new URLSearchParams(body);
  if (typeof body === 'string' && !body.startsWith('{') && !body.startsWith('['))
    return new URLSearchParams(body);
  return new URLSearchParams();
};

/** `fetch`, keeping a note of every request the SDK sends (MCP messages and OAuth alike). */
const recordingFetch =
  (seen: Seen[]): FetchLike =>
  async (url, init) => {
    const response = await fetch(url, init);
    const target = new URL(String(url));
    seen.push({
      method: init?.method ?? 'GET',
      path: target.pathname,
      status: response.status,
      body: bodyOf(init?.body),
      authorization: new Headers(init?.headers).get('authorization'),
    });
    return response;
  };

const REDIRECT_URL = 'http://localhost:8090/callback';

/**
 * The MCP host application: keeps what the SDK asks it to keep, and when the SDK sends the user
 * to the authorization server, plays the owner in the browser — signs in, opens the consent page,
 * allows — and keeps the code from the redirect for `finishAuth`.
 */
class OwnerAtTheBrowser implements OAuthClientProvider {
  readonly authorizationUrls: URL[] = [];
  readonly savedTokens: OAuthTokens[] = [];
  private information: OAuthClientInformationMixed | undefined;
  private current: OAuthTokens | undefined;
  private verifier = '';
  private readonly codes: string[] = [];

  constructor(
    private readonly issuer: string,
    private readonly authMethod: AuthMethod,
  ) {}

  get redirectUrl(): string {
    return REDIRECT_URL;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'SDK Test Client',
      redirect_uris: [REDIRECT_URL],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: this.authMethod,
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
    this.savedTokens.push(tokens);
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
    expect(location.searchParams.get('iss')).to.equal(this.issuer);
    const code = location.searchParams.get('code');
    expect(code, location.href).to.be.a('string');
    this.codes.push(code ?? '');
  }

  /** The code of the last authorization, as the redirect delivered it to the host. */
  takeCode(): string {
    const code = this.codes.shift();
    expect(code, 'a code from the consent page').to.be.a('string');
    return code ?? '';
  }

  get clientId(): string {
    return this.information?.client_id ?? '';
  }

  get refreshToken(): string | undefined {
    return this.current?.refresh_token;
  }
}

const CLIENT_INFO = { name: 'latchkey-sdk-test', version: '1.0.0' };

interface Variant {
  readonly name: string;
  readonly authMethod: AuthMethod;
}

const PUBLIC: Variant = { name: 'a public client', authMethod: 'none' };
const VARIANTS: Variant[] = [
  PUBLIC,
  { name: 'a confidential client using client_secret_post', authMethod: 'client_secret_post' },
  { name: 'a confidential client using client_secret_basic', authMethod: 'client_secret_basic' },
];

type Start = (env?: Record<string, string>, overrides?: Overrides) => Promise<OAuthHarness>;

/** The same end-to-end story for one kind of client on one storage. */
const sdkClientSuite = (variant: Variant, start: Start): void => {
  let clock: FixedClock;
  let h: OAuthHarness;
  let provider: OwnerAtTheBrowser;
  let seen: Seen[];
  const clients: Client[] = [];

  const transport = () =>
    new StreamableHTTPClientTransport(new URL(mcpUrl(h.url)), {
      authProvider: provider,
      fetch: recordingFetch(seen),
    });

  /** Starting from the MCP URL alone: refused, authorized through the provider, connected again. */
  const connectFromScratch = async (): Promise<{
    client: Client;
    transport: StreamableHTTPClientTransport;
  }> => {
    const first = transport();
    const refused = await rejectionOf(new Client(CLIENT_INFO).connect(first));
    expect(refused).to.be.instanceOf(UnauthorizedError);
    await first.finishAuth(provider.takeCode());
    const second = transport();
    const client = new Client(CLIENT_INFO);
    clients.push(client);
    await client.connect(second);
    return { client, transport: second };
  };

  const tokenRequests = (grantType: string): Seen[] =>
    seen.filter((s) => s.path === '/oauth2/tokens' && s.body.get('grant_type') === grantType);

  beforeEach(async () => {
    clock = new FixedClock(new Date());
    h = await start({}, { clock });
    provider = new OwnerAtTheBrowser(h.url, variant.authMethod);
    seen = [];
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.server.stop();
  });

  it('is refused with UnauthorizedError, then discovers both metadata documents and registers', async () => {
    await connectFromScratch();
    expect(seen.slice(0, 4).map((s) => `${s.method} ${s.path} ${s.status}`)).to.deep.equal([
      `POST ${MCP_PATH} 401`,
      `GET ${new URL(mcpResourceMetadataUrl(h.url)).pathname} 200`,
      'GET /.well-known/oauth-authorization-server 200',
      'POST /oauth2/register 201',
    ]);
    const app = await h.api.get(provider.clientId);
    expect(app.status, app.text).to.equal(200);
    expect(app.body).to.deep.include({
      dynamically_registered: true,
      client_type: variant.authMethod === 'none' ? 'public' : 'confidential',
      redirect_uris: [REDIRECT_URL],
      scope: 'mcp',
    });
  });

  it('sends PKCE with S256 and the MCP endpoint as the resource indicator', async () => {
    await connectFromScratch();
    expect(provider.authorizationUrls).to.have.length(1);
    const url = provider.authorizationUrls[0] ?? new URL('about:blank');
    expect(`${url.origin}${url.pathname}`).to.equal(`${h.url}/oauth2/authorize`);
    const params = url.searchParams;
    expect(params.get('response_type')).to.equal('code');
    expect(params.get('client_id')).to.equal(provider.clientId);
    expect(params.get('redirect_uri')).to.equal(REDIRECT_URL);
    expect(params.get('code_challenge_method')).to.equal('S256');
    expect(params.get('code_challenge')).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('resource')).to.equal(mcpUrl(h.url));
    expect(params.get('scope')).to.equal('mcp');

    const [exchange] = tokenRequests('authorization_code');
    expect(exchange?.status).to.equal(200);
    expect(exchange?.body.get('resource')).to.equal(mcpUrl(h.url));
    expect(exchange?.body.get('code_verifier')).to.be.a('string');
    expect(provider.savedTokens[0]?.scope).to.equal('mcp');
    expect(provider.savedTokens[0]?.refresh_token).to.be.a('string');
  });

  it(`authenticates at the token endpoint with ${variant.authMethod}`, async () => {
    await connectFromScratch();
    const [exchange] = tokenRequests('authorization_code');
    switch (variant.authMethod) {
      case 'none':
        expect(exchange?.authorization).to.equal(null);
        expect(exchange?.body.get('client_id')).to.equal(provider.clientId);
        expect(exchange?.body.has('client_secret')).to.equal(false);
        break;
      case 'client_secret_post':
        expect(exchange?.authorization).to.equal(null);
        expect(exchange?.body.get('client_secret')).to.match(/^lk_secret_/);
        break;
      case 'client_secret_basic':
        expect(exchange?.authorization).to.match(/^Basic /);
        expect(exchange?.body.has('client_secret')).to.equal(false);
        break;
    }
  });

  it('lists exactly the three user tools, since a dynamically registered client never gets scope all', async () => {
    const { client } = await connectFromScratch();
    expect(await toolNames(client)).to.deep.equal(USER_TOOLS);
  });

  it('calls each tool it is offered, acting as the owner', async () => {
    const other = await createClient(h, { name: 'other-app' });
    const otherTokens = await obtainTokens(h, other, { params: { scope: 'user:read' } });
    const { client } = await connectFromScratch();

    const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
    expect(user).to.include({
      id: await userIdOf(h.url, h.session),
      email: OWNER.email,
      username: OWNER.username,
      role: 'owner',
    });

    const { apps: before } = (await callToolOk(client, 'latchkey_list_authorized_apps')) as {
      apps: WireApp[];
    };
    expect(before.map((app) => app.id)).to.have.members([provider.clientId, other.id]);
    expect(before.find((app) => app.id === provider.clientId)).to.deep.include({
      dynamically_registered: true,
      name: 'SDK Test Client',
    });

    const revoked = await callToolOk(client, 'latchkey_revoke_app_access', { client_id: other.id });
    expect(revoked).to.deep.equal({ revoked: true, client_id: other.id, current_token_revoked: false });
    expect(await meStatus(h.url, otherTokens.access_token)).to.equal(401);
    const { apps: after } = (await callToolOk(client, 'latchkey_list_authorized_apps')) as {
      apps: WireApp[];
    };
    expect(after.map((app) => app.id)).to.deep.equal([provider.clientId]);
  });

  it('refreshes an expired access token on the next call and goes on', async () => {
    const { client } = await connectFromScratch();
    const firstRefreshToken = provider.refreshToken;
    expect(firstRefreshToken).to.be.a('string');

    clock.advance(3601);
    const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
    expect(user).to.include({ email: OWNER.email });

    const refreshes = tokenRequests('refresh_token');
    expect(refreshes.map((r) => r.status)).to.deep.equal([200]);
    expect(refreshes[0]?.body.get('refresh_token')).to.equal(firstRefreshToken);
    expect(refreshes[0]?.body.get('resource')).to.equal(mcpUrl(h.url));
    expect(provider.refreshToken).to.be.a('string').and.not.equal(firstRefreshToken);
    expect(provider.authorizationUrls, 'no second trip to the browser').to.have.length(1);
  });

  /** After the grant is gone: 401, failed refresh, the browser again, and the same registration. */
  const recoversAfter = async (revokeGrant: (client: Client) => Promise<void>): Promise<void> => {
    const { client, transport: current } = await connectFromScratch();
    const clientId = provider.clientId;
    const oldAccessToken = provider.tokens()?.access_token;
    await revokeGrant(client);

    const refused = await rejectionOf(callToolOk(client, 'latchkey_get_authenticated_user'));
    expect(refused).to.be.instanceOf(UnauthorizedError);
    expect(seen.filter((s) => s.path === MCP_PATH).at(-1)?.status).to.equal(401);
    expect(tokenRequests('refresh_token').map((r) => r.status)).to.deep.equal([400]);
    expect(provider.authorizationUrls).to.have.length(2);

    await current.finishAuth(provider.takeCode());
    expect(provider.tokens()?.access_token).to.be.a('string').and.not.equal(oldAccessToken);
    const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
    expect(user).to.include({ email: OWNER.email });
    expect(provider.clientId, 'the registration is kept').to.equal(clientId);
    expect(seen.filter((s) => s.path === '/oauth2/register')).to.have.length(1);
  };

  it('authorizes again after the owner revokes its grant with DELETE /oauth2/tokens', async () => {
    await recoversAfter(async () => {
      const response = await request(`${h.url}/oauth2/tokens?client_id=${provider.clientId}`, {
        method: 'DELETE',
        headers: bearer(h.session),
      });
      expect(response.status, response.text).to.equal(204);
    });
  });

  it('authorizes again after revoking its own access with latchkey_revoke_app_access', async () => {
    await recoversAfter(async (client) => {
      const revoked = await callToolOk(client, 'latchkey_revoke_app_access', {
        client_id: provider.clientId,
      });
      expect(revoked).to.deep.equal({
        revoked: true,
        client_id: provider.clientId,
        current_token_revoked: true,
      });
    });
  });
};

describe('the official MCP SDK client, from the MCP URL alone (docs/http-api.md#mcp)', () => {
  for (const variant of VARIANTS) {
    describe(`with ${variant.name}, in-memory storage`, () => {
      sdkClientSuite(variant, startOAuthServer);
    });
  }

  describe(`with ${PUBLIC.name}, PostgreSQL storage`, () => {
    let pg: PostgresHarness | undefined;
    before(async () => {
      pg = await withPostgres();
    });
    after(() => pg?.cleanup());
    sdkClientSuite(PUBLIC, async (env = {}, overrides = {}) => {
      if (pg === undefined) throw new Error('the PostgreSQL harness did not start');
      await pg.truncate();
      return startOAuthServer(env, {
        ...overrides,
        storage: { ...pg.storage, close: () => Promise.resolve() },
      });
    });
  });
});
