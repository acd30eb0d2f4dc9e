import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { expect } from 'chai';
import type { WireApp } from '../http/admin-api.js';
import {
  addMember,
  createClient,
  meStatus,
  obtainTokens,
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
  mcpPost,
  OWNER_TOOLS,
  rejectionOf,
  toolNames,
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

interface AuditPage {
  audit_logs: WireAuditEntry[];
  count: number;
}

const NIL_LIKE_UUID = '6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b';

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

      const all = (await callToolOk(client, 'latchkey_list_oauth2_apps')) as WireApp[];
      expect(all.map((app) => app.id)).to.deep.equal([alpha.id, beta.id]);
      expect(all[0]).to.deep.equal(alpha);

      const second = (await callToolOk(client, 'latchkey_list_oauth2_apps', {
        limit: 1,
        offset: 1,
      })) as WireApp[];
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
      const apps = (await callToolOk(client, 'latchkey_list_oauth2_apps')) as WireApp[];
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
      const apps = (await callToolOk(client, 'latchkey_list_authorized_apps')) as WireApp[];
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
      expect(await callToolOk(client, 'latchkey_list_authorized_apps')).to.deep.equal([]);
    });
  });

  context('latchkey_revoke_app_access', () => {
    it('revokes every token of the app for this user, and the audit log records it', async () => {
      const app = await createClient(h, { name: 'doomed-app' });
      const tokens = await obtainTokens(h, app, { params: { scope: 'user:read' } });
      const client = await connect(h.session);
      const listed = (await callToolOk(client, 'latchkey_list_authorized_apps')) as WireApp[];
      expect(listed.map((a) => a.id)).to.deep.equal([app.id]);

      await callToolOk(client, 'latchkey_revoke_app_access', { client_id: app.id });

      expect(await meStatus(h.url, tokens.access_token)).to.equal(401);
      expect(await callToolOk(client, 'latchkey_list_authorized_apps')).to.deep.equal([]);
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
