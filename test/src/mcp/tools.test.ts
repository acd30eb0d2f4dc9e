import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'chai';
import type { WireApp } from '../http/admin-api.js';
import {
  addMember,
  createClient,
  meStatus,
  obtainTokens,
  registerClient,
  startOAuthServer,
  userIdOf,
  type OAuthHarness,
} from '../oauth/flow-helpers.js';
import { MEMBER, OWNER, describeOnBothStorages } from '../support/server.js';
import {
  ALL_TOOLS,
  callTool,
  callToolOk,
  connectWithToken,
  initializeRequest,
  mcpPost,
  OWNER_TOOLS,
  rejectionOf,
  strictAjv,
  toolNames,
  toolsListRequest,
  USER_TOOLS,
} from './helpers.js';

interface WireAuditEntry {
  id: string;
  time: string;
  action: string;
  resource_type: string;
  resource_id: string;
  actor_id?: string;
  status: number;
  diff: Record<string, unknown>;
}

interface AppList {
  apps: WireApp[];
}

interface AuditPage {
  audit_logs: WireAuditEntry[];
  count: number;
}

const NIL_LIKE_UUID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** Reads Latchkey's own data and changes nothing. */
const READS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** What each tool tells a host about itself (docs/http-api.md#mcp). */
const ANNOTATIONS: Record<string, typeof READS> = {
  latchkey_get_authenticated_user: READS,
  latchkey_list_authorized_apps: READS,
  // Ends access that only the user can give back; a second call has nothing left to revoke.
  latchkey_revoke_app_access: {
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  latchkey_list_oauth2_apps: READS,
  latchkey_get_audit_log: READS,
};

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  additionalProperties?: Schema | boolean;
  items?: Schema;
}

/** The paths of the fields in `value` that `schema` does not describe (properties, items, additionalProperties). */
const undescribed = (value: unknown, schema: Schema, path = '$'): string[] => {
  if (Array.isArray(value))
    return value.flatMap((item, i) => undescribed(item, schema.items ?? {}, `${path}[${i}]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    const described = schema.properties?.[key];
    if (described !== undefined) return undescribed(field, described, `${path}.${key}`);
    if (typeof schema.additionalProperties === 'object')
      return undescribed(field, schema.additionalProperties, `${path}.${key}`);
    return [`${path}.${key}`];
  });
};

/** Which of the tools the server's `instructions` name. */
const toolsNamedIn = (instructions: string | undefined): string[] =>
  ALL_TOOLS.filter((name) => (instructions ?? '').includes(name));

describeOnBothStorages('the MCP tools (docs/http-api.md#mcp)', () => {
  let h: OAuthHarness;
  const clients: Client[] = [];
  const connect = async (token: string): Promise<Client> => {
    const client = await connectWithToken(h.url, token);
    clients.push(client);
    return client;
  };
  beforeEach(async () => {
    h = await startOAuthServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.server.stop();
  });

  context('for an owner with scope all (session token)', () => {
    it('lists all five tools, each with an object input schema', async () => {
      const client = await connect(h.session);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).to.deep.equal(ALL_TOOLS);
      for (const tool of tools) {
        expect(tool.inputSchema.type, tool.name).to.equal('object');
        expect(tool.description, tool.name).to.be.a('string').and.not.equal('');
      }
    });

    it('returns the owner from latchkey_get_authenticated_user', async () => {
      const client = await connect(h.session);
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({
        id: await userIdOf(h.url, h.session),
        email: OWNER.email,
        username: OWNER.username,
        name: OWNER.name,
        role: 'owner',
      });
      expect(user.created_at).to.be.a('string');
      expect(user).to.not.have.any.keys('password', 'hashed_password', 'password_hash');
    });

    it('lists the apps created through the admin API, ordered by name, with paging', async () => {
      const beta = await h.api.createApp({ name: 'beta-app', callback_url: 'https://beta.example.com/cb' });
      const alpha = await h.api.createApp({
        name: 'alpha-app',
        callback_url: 'https://alpha.example.com/cb',
      });
      const client = await connect(h.session);

      const { apps: all } = (await callToolOk(client, 'latchkey_list_oauth2_apps')) as AppList;
      expect(all.map((app) => app.id)).to.deep.equal([alpha.id, beta.id]);
      expect(all[0]).to.deep.equal(alpha);

      const { apps: second } = (await callToolOk(client, 'latchkey_list_oauth2_apps', {
        limit: 1,
        offset: 1,
      })) as AppList;
      expect(second.map((app) => app.id)).to.deep.equal([beta.id]);
    });

    for (const limit of [0, 501, 1.5, 'ten', -1]) {
      it(`answers latchkey_list_oauth2_apps with limit ${JSON.stringify(limit)} with an error result`, async () => {
        await h.api.createApp({ name: 'some-app' });
        const client = await connect(h.session);
        const call = await callTool(client, 'latchkey_list_oauth2_apps', { limit });
        expect(call.isError, call.text).to.equal(true);
        expect(call.text).to.not.include('some-app');
      });
    }

    it('answers latchkey_list_oauth2_apps with a negative offset with an error result', async () => {
      const client = await connect(h.session);
      const call = await callTool(client, 'latchkey_list_oauth2_apps', { offset: -1 });
      expect(call.isError, call.text).to.equal(true);
    });

    it('returns audit entries, newest first, with the total count', async () => {
      await h.api.createApp({ name: 'audited-app' });
      const client = await connect(h.session);
      const page = (await callToolOk(client, 'latchkey_get_audit_log')) as AuditPage;
      expect(page.count).to.be.a('number').and.at.least(3);
      expect(page.audit_logs.length).to.equal(Math.min(page.count, 50));
      const actions = page.audit_logs.map((e) => `${e.action} ${e.resource_type}`);
      expect(actions).to.include.members(['create user', 'login user', 'create oauth2_provider_app']);
      const times = page.audit_logs.map((e) => e.time);
      expect(times).to.deep.equal([...times].sort().reverse());
    });

    it('filters the audit log by action', async () => {
      await h.api.createApp({ name: 'audited-app' });
      const client = await connect(h.session);
      const page = (await callToolOk(client, 'latchkey_get_audit_log', { action: 'login' })) as AuditPage;
      expect(page.audit_logs).to.not.be.empty;
      expect(page.count).to.equal(page.audit_logs.length);
      for (const entry of page.audit_logs) expect(entry.action).to.equal('login');
    });

    it('filters the audit log by resource_type', async () => {
      await h.api.createApp({ name: 'audited-app' });
      const client = await connect(h.session);
      const page = (await callToolOk(client, 'latchkey_get_audit_log', {
        resource_type: 'oauth2_provider_app',
      })) as AuditPage;
      expect(page.count).to.equal(1);
      expect(page.audit_logs.map((e) => [e.action, e.resource_type])).to.deep.equal([
        ['create', 'oauth2_provider_app'],
      ]);
    });

    it('pages the audit log with limit and offset', async () => {
      const client = await connect(h.session);
      const all = (await callToolOk(client, 'latchkey_get_audit_log')) as AuditPage;
      const page = (await callToolOk(client, 'latchkey_get_audit_log', { limit: 1, offset: 1 })) as AuditPage;
      expect(page.count).to.equal(all.count);
      expect(page.audit_logs.map((e) => e.id)).to.deep.equal([all.audit_logs[1]?.id]);
    });

    for (const args of [
      { limit: 0 },
      { limit: 'many' },
      { action: 'explode' },
      { resource_type: 'planet' },
    ]) {
      it(`answers latchkey_get_audit_log with ${JSON.stringify(args)} with an error result`, async () => {
        const client = await connect(h.session);
        const call = await callTool(client, 'latchkey_get_audit_log', args);
        expect(call.isError, call.text).to.equal(true);
        expect(call.text).to.not.include('audit_logs');
      });
    }
  });

  context('for an owner whose access token has scope all', () => {
    it('offers all five tools', async () => {
      const app = await createClient(h);
      const token = (await obtainTokens(h, app, { params: { scope: 'all' } })).access_token;
      const client = await connect(token);
      expect(await toolNames(client)).to.deep.equal(ALL_TOOLS);
      const { apps } = (await callToolOk(client, 'latchkey_list_oauth2_apps')) as AppList;
      expect(apps.map((a) => a.id)).to.deep.equal([app.id]);
    });
  });

  context('for an owner whose access token has only scope mcp', () => {
    it('offers only the three user tools and refuses the owner tools with an error result', async () => {
      const app = await createClient(h);
      const token = (await obtainTokens(h, app, { params: { scope: 'mcp' } })).access_token;
      const client = await connect(token);
      expect(await toolNames(client)).to.deep.equal(USER_TOOLS);
      for (const name of OWNER_TOOLS) {
        const call = await callTool(client, name);
        expect(call.isError, `${name}: ${call.text}`).to.equal(true);
        expect(call.text).to.not.include(app.id);
      }
    });
  });

  context('for a member', () => {
    let memberSession: string;
    beforeEach(async () => {
      memberSession = await addMember(h);
    });

    it('offers only the three user tools, even with a session token (scope all)', async () => {
      const client = await connect(memberSession);
      expect(await toolNames(client)).to.deep.equal(USER_TOOLS);
    });

    it('returns the member from latchkey_get_authenticated_user', async () => {
      const client = await connect(memberSession);
      const user = (await callToolOk(client, 'latchkey_get_authenticated_user')) as Record<string, unknown>;
      expect(user).to.include({ email: MEMBER.email, username: MEMBER.username, role: 'member' });
    });

    it('answers latchkey_list_oauth2_apps with an error result and never the data', async () => {
      const app = await h.api.createApp({ name: 'secret-project' });
      const client = await connect(memberSession);
      const call = await callTool(client, 'latchkey_list_oauth2_apps');
      expect(call.isError, call.text).to.equal(true);
      expect(call.text).to.not.include(app.id);
      expect(call.text).to.not.include('secret-project');
    });

    it('answers latchkey_get_audit_log with an error result and never the data', async () => {
      const client = await connect(memberSession);
      const call = await callTool(client, 'latchkey_get_audit_log');
      expect(call.isError, call.text).to.equal(true);
      expect(call.text).to.not.include(OWNER.email);
      expect(call.text).to.not.include('audit_logs');
    });

    it("lists only the member's own authorized apps", async () => {
      const mine = await createClient(h, { name: 'members-app' });
      const owners = await createClient(h, { name: 'owners-app' });
      await obtainTokens(h, mine, { session: memberSession, params: { scope: 'mcp' } });
      await obtainTokens(h, owners, { params: { scope: 'mcp' } });
      const client = await connect(memberSession);
      const { apps } = (await callToolOk(client, 'latchkey_list_authorized_apps')) as AppList;
      expect(apps.map((app) => app.id)).to.deep.equal([mine.id]);
    });

    it("revokes the member's grant to an app and leaves the owner's grant to it alone", async () => {
      const app = await createClient(h, { name: 'shared-app' });
      const members = await obtainTokens(h, app, { session: memberSession, params: { scope: 'user:read' } });
      const owners = await obtainTokens(h, app, { params: { scope: 'user:read' } });
      const client = await connect(memberSession);

      await callToolOk(client, 'latchkey_revoke_app_access', { client_id: app.id });

      expect(await meStatus(h.url, members.access_token)).to.equal(401);
      expect(await meStatus(h.url, owners.access_token)).to.equal(200);
      expect(await callToolOk(client, 'latchkey_list_authorized_apps')).to.deep.equal({ apps: [] });
    });
  });

  context('latchkey_revoke_app_access', () => {
    it('revokes every token of the app for this user, and the audit log records it', async () => {
      const app = await createClient(h, { name: 'doomed-app' });
      const tokens = await obtainTokens(h, app, { params: { scope: 'user:read' } });
      const client = await connect(h.session);
      const { apps: listed } = (await callToolOk(client, 'latchkey_list_authorized_apps')) as AppList;
      expect(listed.map((a) => a.id)).to.deep.equal([app.id]);

      const revoked = await callToolOk(client, 'latchkey_revoke_app_access', { client_id: app.id });
      // A session token belongs to no application: this session goes on.
      expect(revoked).to.deep.equal({ revoked: true, client_id: app.id, current_token_revoked: false });

      expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
      expect(await callToolOk(client, 'latchkey_list_authorized_apps')).to.deep.equal({ apps: [] });
      const audit = (await callToolOk(client, 'latchkey_get_audit_log', {
        action: 'revoke',
        resource_type: 'oauth2_grant',
      })) as AuditPage;
      expect(audit.count).to.be.at.least(1);
      expect(audit.audit_logs[0]?.actor_id).to.equal(await userIdOf(h.url, h.session));
    });

    for (const clientId of ['not-a-uuid', '', 42, `${NIL_LIKE_UUID}x`]) {
      it(`answers client_id ${JSON.stringify(clientId)} with an error result`, async () => {
        const client = await connect(h.session);
        const call = await callTool(client, 'latchkey_revoke_app_access', { client_id: clientId });
        expect(call.isError, call.text).to.equal(true);
      });
    }

    it('answers a missing client_id with an error result', async () => {
      const client = await connect(h.session);
      const call = await callTool(client, 'latchkey_revoke_app_access', {});
      expect(call.isError, call.text).to.equal(true);
    });

    it('answers the uuid of no app with an error result', async () => {
      const client = await connect(h.session);
      const call = await callTool(client, 'latchkey_revoke_app_access', { client_id: NIL_LIKE_UUID });
      expect(call.isError, call.text).to.equal(true);
    });
  });

  context('what the tools tell a host (MCP 2025-06-18 tool metadata)', () => {
    it('gives every tool a title, the four annotations set truthfully and an object output schema', async () => {
      const client = await connect(h.session);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).to.deep.equal(ALL_TOOLS);
      for (const tool of tools) {
        expect(tool.title, tool.name).to.be.a('string').and.not.equal('');
        expect(tool.annotations, tool.name).to.deep.include(ANNOTATIONS[tool.name]);
        expect(tool.outputSchema?.type, tool.name).to.equal('object');
        // Strict mode: a misspelt keyword or a property listed as required but never described fails.
        expect(() => strictAjv().compile(tool.outputSchema ?? {}), tool.name).to.not.throw();
      }
    });

    it('answers every tool with structured content its schema accepts and fully describes, and the same JSON as text', async () => {
      await h.api.createApp({ name: 'listed-app' });
      const app = await createClient(h, { name: 'granted-app' });
      await obtainTokens(h, app, { params: { scope: 'user:read' } });
      const client = await connect(h.session);
      const schemas = new Map((await client.listTools()).tools.map((t) => [t.name, t.outputSchema]));
      const calls: [string, Record<string, unknown>][] = [
        ['latchkey_get_authenticated_user', {}],
        ['latchkey_list_authorized_apps', {}],
        ['latchkey_list_oauth2_apps', {}],
        ['latchkey_get_audit_log', {}],
        ['latchkey_revoke_app_access', { client_id: app.id }],
      ];
      for (const [name, args] of calls) {
        // callToolOk validates structuredContent against the outputSchema and compares the text.
        const result = await callToolOk(client, name, args);
        expect(undescribed(result, schemas.get(name) ?? {}), name).to.deep.equal([]);
      }
    });

    it('satisfies the SDK client, which checks structured content against the output schema itself', async () => {
      const client = await connect(h.session);
      // The SDK compiles the output schemas here, and rejects a call whose result does not match.
      await client.listTools();
      const result = await client.callTool({ name: 'latchkey_get_authenticated_user', arguments: {} });
      expect(result.isError ?? false).to.equal(false);
      expect(result.structuredContent).to.include({ email: OWNER.email, role: 'owner' });
    });
  });

  context("the server's instructions (initialize result)", () => {
    it('name all five tools for an owner whose token has scope all', async () => {
      const client = await connect(h.session);
      expect(toolsNamedIn(client.getInstructions())).to.deep.equal(ALL_TOOLS);
    });

    it('name only the user tools for a dynamically registered client whose token has scope mcp', async () => {
      const dcr = await registerClient(h, {
        client_name: 'dcr-client',
        redirect_uris: ['http://127.0.0.1:8123/callback'],
        token_endpoint_auth_method: 'none',
      });
      const token = (await obtainTokens(h, dcr, { params: { scope: 'mcp' } })).access_token;
      const client = await connect(token);
      const instructions = client.getInstructions();
      expect(toolsNamedIn(instructions)).to.deep.equal([...USER_TOOLS].sort());
      // The token's own application, so that the model knows which revocation ends this session.
      expect(instructions).to.include(dcr.id);
    });

    it('name only the user tools for a member, even with a session token (scope all)', async () => {
      const client = await connect(await addMember(h));
      expect(toolsNamedIn(client.getInstructions())).to.deep.equal([...USER_TOOLS].sort());
    });

    it('are in the initialize result on the wire, per token', async () => {
      const app = await createClient(h);
      const mcpOnly = (await obtainTokens(h, app, { params: { scope: 'mcp' } })).access_token;
      const instructionsOf = async (token: string): Promise<string> => {
        const response = await mcpPost(h.url, token, initializeRequest());
        expect(response.status, response.text).to.equal(200);
        return (response.body as { result: { instructions: string } }).result.instructions;
      };
      const owner = await instructionsOf(h.session);
      const user = await instructionsOf(mcpOnly);
      expect(owner).to.not.equal(user);
      expect(toolsNamedIn(owner)).to.deep.equal(ALL_TOOLS);
      expect(toolsNamedIn(user)).to.deep.equal([...USER_TOOLS].sort());
    });
  });

  context('revoking the application that holds the current token', () => {
    it("names that application in the tool's description, and only for an access token", async () => {
      const app = await createClient(h);
      const token = (await obtainTokens(h, app, { params: { scope: 'mcp' } })).access_token;
      const describedFor = async (bearerToken: string): Promise<string> => {
        const { tools } = await (await connect(bearerToken)).listTools();
        return tools.find((t) => t.name === 'latchkey_revoke_app_access')?.description ?? '';
      };
      expect(await describedFor(token)).to.include(app.id);
      expect(await describedFor(h.session)).to.not.include(app.id);
    });

    it('says that the current token is revoked, and the next request with it gets the 401', async () => {
      const app = await createClient(h);
      const token = (await obtainTokens(h, app, { params: { scope: 'mcp' } })).access_token;
      const client = await connect(token);

      const revoked = await callToolOk(client, 'latchkey_revoke_app_access', { client_id: app.id });

      expect(revoked).to.deep.equal({ revoked: true, client_id: app.id, current_token_revoked: true });
      const next = await mcpPost(h.url, token, toolsListRequest());
      expect(next.status, next.text).to.equal(401);
      expect(await meStatus(h.url, token)).to.equal(401);
    });

    it('says the current token is not revoked when another application is', async () => {
      const mine = await createClient(h, { name: 'mine' });
      const other = await createClient(h, { name: 'other' });
      const token = (await obtainTokens(h, mine, { params: { scope: 'mcp' } })).access_token;
      await obtainTokens(h, other, { params: { scope: 'user:read' } });
      const client = await connect(token);

      const revoked = await callToolOk(client, 'latchkey_revoke_app_access', { client_id: other.id });

      expect(revoked).to.deep.equal({ revoked: true, client_id: other.id, current_token_revoked: false });
      expect(await toolNames(client)).to.deep.equal(USER_TOOLS);
    });
  });

  context('an unknown tool', () => {
    it('is a JSON-RPC error for the SDK client', async () => {
      const client = await connect(h.session);
      const error = await rejectionOf(client.callTool({ name: 'latchkey_delete_everything', arguments: {} }));
      expect(error).to.be.instanceOf(McpError);
      expect((error as McpError).code).to.be.a('number');
    });

    it('is a JSON-RPC error object on the wire, with no result', async () => {
      const response = await mcpPost(h.url, h.session, {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'latchkey_delete_everything', arguments: {} },
      });
      expect(response.status, response.text).to.equal(200);
      const body = response.body as {
        id: number;
        error?: { code: number; message: string };
        result?: unknown;
      };
      expect(body.id).to.equal(7);
      expect(body.result).to.equal(undefined);
      expect(body.error?.code).to.be.a('number');
    });
  });
});
