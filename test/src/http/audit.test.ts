import { expect } from 'chai';
import {
  bearer,
  login,
  MEMBER,
  OWNER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
  describeOnBothStorages,
} from '../support/server.js';

interface WireAudit {
  action: string;
  resource_type: string;
  resource_id: string;
  actor_id?: string;
  ip: string;
  user_agent: string;
  status: number;
  diff: Record<string, { old?: unknown; new?: unknown }>;
}

describeOnBothStorages('the audit log of users and sessions (docs/http-api.md#audit-log)', () => {
  let server: TestServer;
  let url: string;
  let ownerToken: string;
  beforeEach(async () => {
    server = await startTestServer();
    url = server.url;
    ownerToken = await setUpOwner(url);
  });
  afterEach(() => server.stop());

  const auditLog = async (query = ''): Promise<{ audit_logs: WireAudit[]; count: number }> => {
    const response = await request(`${url}/api/v2/audit-logs${query}`, { headers: bearer(ownerToken) });
    expect(response.status).to.equal(200);
    return response.body as { audit_logs: WireAudit[]; count: number };
  };

  it('records user creation, logins (good and bad) and logout, newest first', async () => {
    await postJson(`${url}/api/v2/users`, MEMBER, { ...bearer(ownerToken), 'User-Agent': 'audit-test' });
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: 'wrong password' });
    await postJson(`${url}/api/v2/users/login`, { email: 'ghost@example.com', password: 'wrong password' });
    const memberToken = await login(url, MEMBER.email, MEMBER.password);
    await request(`${url}/api/v2/users/logout`, { method: 'POST', headers: bearer(memberToken) });

    const { audit_logs: entries, count } = await auditLog();
    expect(count).to.equal(entries.length);
    expect(entries.map((e) => `${e.action}:${e.resource_type}:${e.status}`)).to.deep.equal([
      'logout:api_key:204',
      'login:user:201',
      'login:user:401',
      'login:user:401',
      'create:user:201',
      'login:user:201',
      'create:user:201',
    ]);
    const [logout, , ghost, wrong, created] = entries;
    expect(ghost).to.include({ resource_id: '' });
    expect(ghost).to.not.have.property('actor_id');
    expect(ghost?.diff).to.deep.equal({});
    expect(wrong?.actor_id).to.be.a('string');
    expect(created?.user_agent).to.equal('audit-test');
    expect(created?.ip).to.equal('127.0.0.1');
    expect(created?.diff).to.deep.include({ username: { new: MEMBER.username }, role: { new: 'member' } });
    expect(logout?.actor_id).to.be.a('string');
  });

  it('filters by resource type and action and pages', async () => {
    await postJson(`${url}/api/v2/users/login`, { email: OWNER.email, password: 'wrong password' });
    const logins = await auditLog('?action=login');
    expect(logins.audit_logs.every((e) => e.action === 'login')).to.equal(true);
    expect(logins.count).to.equal(2);
    const page = await auditLog('?action=login&limit=1&offset=1');
    expect(page.audit_logs).to.have.length(1);
    expect(page.count).to.equal(2);
    const users = await auditLog('?resource_type=user&action=create');
    expect(users.count).to.equal(1);
  });

  it('refuses unknown filters with 400 naming the parameter', async () => {
    const response = await request(`${url}/api/v2/audit-logs?action=explode`, {
      headers: bearer(ownerToken),
    });
    expect(response.status).to.equal(400);
    expect((response.body as { validations: { field: string }[] }).validations[0]?.field).to.equal('action');
  });

  it('keeps passwords, hashes and tokens out of the entries', async () => {
    await postJson(`${url}/api/v2/users`, MEMBER, bearer(ownerToken));
    const text = JSON.stringify(await auditLog());
    expect(text).to.not.include(MEMBER.password);
    expect(text).to.not.include(OWNER.password);
    expect(text).to.not.include(ownerToken);
    expect(text).to.not.include('c2NyeXB0');
    expect(text).to.not.include('null');
  });

  it('is for owners only', async () => {
    await postJson(`${url}/api/v2/users`, MEMBER, bearer(ownerToken));
    const memberToken = await login(url, MEMBER.email, MEMBER.password);
    const response = await request(`${url}/api/v2/audit-logs`, { headers: bearer(memberToken) });
    expect(response.status).to.equal(403);
  });
});
