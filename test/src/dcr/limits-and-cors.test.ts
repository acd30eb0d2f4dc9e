import { FixedClock } from '@latchkey/domain/in-memory';
import { expect } from 'chai';
import { startOAuthServer, type OAuthHarness } from '../oauth/flow-helpers.js';
import { request, describeOnBothStorages } from '../support/server.js';
import {
  expectInvalidRegistrationToken,
  expectOAuthError,
  expectRegistered,
  manage,
  minimalMetadata,
  registerClient,
  registerRaw,
  startDcrServer,
  configuration,
} from './helpers.js';

const ORIGIN = { Origin: 'https://inspector.example.dev' };

const headerList = (value: string | null): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v !== '');

describeOnBothStorages('registration rate limit (docs/http-api.md#registration, #configuration)', () => {
  let h: OAuthHarness;
  const clock = new FixedClock(new Date());
  before(async () => {
    h = await startDcrServer({ LATCHKEY_RATE_LIMIT_REGISTER: '3' }, { clock });
  });
  after(() => h.server.stop());

  it('refuses the 4th registration in a minute with 429 and Retry-After, then lets one through after the window', async () => {
    const first = await registerClient(h.url);
    expectRegistered(await registerRaw(h.url, minimalMetadata()));
    clock.advance(30);
    expectRegistered(await registerRaw(h.url, minimalMetadata()));

    const limited = await registerRaw(h.url, minimalMetadata(), ORIGIN);
    expectOAuthError(limited, 429, 'temporarily_unavailable');
    expect(limited.headers.get('retry-after')).to.equal('30');
    expect(limited.headers.get('access-control-allow-origin')).to.equal('*');

    // Managing an existing registration is not registering.
    expect((await manage(h.url, first).get()).status).to.equal(200);

    clock.advance(29);
    expectOAuthError(await registerRaw(h.url, minimalMetadata()), 429, 'temporarily_unavailable');
    clock.advance(1);
    expectRegistered(await registerRaw(h.url, minimalMetadata()));
  });
});

describeOnBothStorages(
  'registration rate limit per client address (docs/http-api.md#registration, #configuration)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer({ LATCHKEY_RATE_LIMIT_REGISTER: '3', LATCHKEY_TRUST_PROXY: '1' });
    });
    after(() => h.server.stop());

    const from = (address: string) => registerRaw(h.url, minimalMetadata(), { 'X-Forwarded-For': address });

    it('counts IPv6 clients per /64 and other addresses apart', async () => {
      for (const address of ['2001:db8:aa:1::1', '2001:db8:aa:1::2', '2001:db8:aa:1:ffff:ffff:ffff:fffe'])
        expectRegistered(await from(address));
      expectOAuthError(await from('2001:0db8:00aa:0001:1234:5678:9abc:def0'), 429, 'temporarily_unavailable');
      expectRegistered(await from('2001:db8:aa:2::1'));
      expectRegistered(await from('198.51.100.7'));
    });

    it('counts IPv4 clients per address', async () => {
      for (let i = 0; i < 3; i += 1) expectRegistered(await from('203.0.113.9'));
      expectOAuthError(await from('203.0.113.9'), 429, 'temporarily_unavailable');
      expectRegistered(await from('203.0.113.10'));
    });
  },
);

describeOnBothStorages('registration rate limit by default (docs/http-api.md#configuration)', () => {
  let h: OAuthHarness;
  before(async () => {
    h = await startOAuthServer();
  });
  after(() => h.server.stop());

  it('allows 30 registrations a minute from one address and refuses the 31st', async () => {
    for (let i = 0; i < 30; i += 1) expectRegistered(await registerRaw(h.url, minimalMetadata()));
    const limited = await registerRaw(h.url, minimalMetadata());
    expectOAuthError(limited, 429, 'temporarily_unavailable');
    expect(limited.headers.get('retry-after')).to.match(/^[1-9][0-9]*$/);
  });
});

describeOnBothStorages(
  'registration switched off with LATCHKEY_DCR_ENABLED=false (docs/http-api.md#registration, #metadata)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer({ LATCHKEY_DCR_ENABLED: 'false' });
    });
    after(() => h.server.stop());

    it('answers POST /oauth2/register with 404', async () => {
      const response = await registerRaw(h.url, minimalMetadata());
      expect(response.status, response.text).to.equal(404);
      expect(response.body).to.not.have.property('client_id');
    });

    it('leaves registration_endpoint out of the authorization server metadata', async () => {
      const metadata = await request(`${h.url}/.well-known/oauth-authorization-server`);
      expect(metadata.status).to.equal(200);
      expect(metadata.body).to.not.have.property('registration_endpoint');
    });
  },
);

describeOnBothStorages(
  'CORS on registration and its absence on client configuration (docs/http-api.md#metadata)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer();
    });
    after(() => h.server.stop());

    it('advertises the registration endpoint while registration is on', async () => {
      const metadata = await request(`${h.url}/.well-known/oauth-authorization-server`);
      expect(metadata.body).to.have.property('registration_endpoint', `${h.url}/oauth2/register`);
    });

    it('answers a registration from another origin with Access-Control-Allow-Origin: *', async () => {
      const response = await registerRaw(
        h.url,
        minimalMetadata({ token_endpoint_auth_method: 'none' }),
        ORIGIN,
      );
      expectRegistered(response);
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(response.headers.get('access-control-allow-credentials')).to.equal(null);
    });

    it('puts the CORS headers on a refused registration too', async () => {
      const response = await registerRaw(h.url, { redirect_uris: [] }, ORIGIN);
      expectOAuthError(response, 400, 'invalid_redirect_uri');
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(headerList(response.headers.get('access-control-expose-headers'))).to.include(
        'www-authenticate',
      );
    });

    it('answers the preflight of a registration', async () => {
      const response = await request(`${h.url}/oauth2/register`, {
        method: 'OPTIONS',
        headers: {
          ...ORIGIN,
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
        },
      });
      expect(response.status).to.be.oneOf([200, 204]);
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      expect(headerList(response.headers.get('access-control-allow-methods'))).to.include('post');
      expect(headerList(response.headers.get('access-control-allow-headers'))).to.include.members([
        'content-type',
        'authorization',
      ]);
      expect(response.headers.get('access-control-allow-credentials')).to.equal(null);
    });

    it('gives no CORS headers on /oauth2/clients/{id}, whether the token is good or bad', async () => {
      const client = await registerClient(h.url);
      const good = await request(`${h.url}/oauth2/clients/${client.clientId}`, {
        headers: { ...ORIGIN, Authorization: `Bearer ${client.token}` },
      });
      expect(good.status, good.text).to.equal(200);
      expect(good.headers.get('access-control-allow-origin')).to.equal(null);

      const bad = await request(`${h.url}/oauth2/clients/${client.clientId}`, { headers: ORIGIN });
      expectInvalidRegistrationToken(bad);
      expect(bad.headers.get('access-control-allow-origin')).to.equal(null);
      expectInvalidRegistrationToken(await configuration(h.url, client.clientId, undefined).get());
    });

    it('gives no CORS headers to a preflight of /oauth2/clients/{id}', async () => {
      const client = await registerClient(h.url);
      const response = await request(`${h.url}/oauth2/clients/${client.clientId}`, {
        method: 'OPTIONS',
        headers: {
          ...ORIGIN,
          'Access-Control-Request-Method': 'PUT',
          'Access-Control-Request-Headers': 'authorization, content-type',
        },
      });
      expect(response.headers.get('access-control-allow-origin')).to.equal(null);
      expect(response.headers.get('access-control-allow-methods')).to.equal(null);
    });
  },
);
