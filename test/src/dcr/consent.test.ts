import { expect } from 'chai';
import { decide, makePkce, openConsent, type OAuthHarness, type Pairs } from '../oauth/flow-helpers.js';
import {
  manage,
  minimalMetadata,
  obtainTokens,
  registerClient,
  startDcrServer,
  type Metadata,
  type Registered,
} from './helpers.js';
import { describeOnBothStorages } from '../support/server.js';

const REDIRECT = 'https://connector.example.net/oauth/callback';

/** A valid authorization request for `client`; `extra` replaces (or with `undefined` drops) some. */
const authorizeParams = (client: Registered, extra: Record<string, string | undefined> = {}): Pairs =>
  Object.entries({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: client.registration.redirect_uris[0],
    state: 'st-dcr',
    code_challenge: makePkce().challenge,
    code_challenge_method: 'S256',
    ...extra,
  }).flatMap(([key, value]) => (value === undefined ? [] : [[key, value] as [string, string]]));

/** The `href` of every link on a page, entities decoded. */
const linksOf = (html: string): string[] =>
  [...html.matchAll(/<a\b[^>]*\bhref\s*=\s*"([^"]*)"/gi)].map((m) =>
    (m[1] ?? '')
      .replace(/&#x2F;/gi, '/')
      .replace(/&#(\d+);/g, (_s, c: string) => String.fromCharCode(Number(c)))
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );

describeOnBothStorages(
  'the consent page of a dynamically registered client (docs/http-api.md#conventions, #authorize)',
  () => {
    let h: OAuthHarness;
    before(async () => {
      h = await startDcrServer();
    });
    after(() => h.server.stop());

    const registerFor = (overrides: Metadata = {}) =>
      registerClient(
        h.url,
        minimalMetadata({ redirect_uris: [REDIRECT], client_name: 'Connector', ...overrides }),
      );

    it('shows the redirect host, and escapes the client name the client chose', async () => {
      const client = await registerFor({
        client_name: '<script>alert("pwned")</script><img src=x onerror=alert(1)>',
      });
      const page = await openConsent(h.url, h.session, authorizeParams(client));
      expect(page.response.status, page.response.text).to.equal(200);
      expect(page.response.text).to.include('connector.example.net');
      expect(page.response.text).to.not.include('<script>alert("pwned")');
      expect(page.response.text).to.not.match(/<img[^>]*onerror/i);
    });

    it('does not load the logo the client registered', async () => {
      const client = await registerFor({ logo_uri: 'https://tracker.example.org/pixel.png' });
      const page = await openConsent(h.url, h.session, authorizeParams(client));
      expect(page.response.status, page.response.text).to.equal(200);
      expect(page.response.text).to.not.match(/<img\b[^>]*tracker\.example\.org/i);
    });

    context('when the request is bad and the user never approved the client', () => {
      it('shows a 400 page with a link back that carries the error, the state and iss, and does not redirect', async () => {
        const client = await registerFor();
        const page = await openConsent(
          h.url,
          h.session,
          authorizeParams(client, { code_challenge_method: 'plain' }),
        );
        expect(page.response.status, page.response.text).to.equal(400);
        expect(page.response.headers.get('location')).to.equal(null);
        expect(page.response.headers.get('content-type') ?? '').to.include('text/html');
        expect(page.response.text).to.include('connector.example.net');
        const back = linksOf(page.response.text)
          .map((href) => new URL(href, h.url))
          .find((url) => `${url.origin}${url.pathname}` === REDIRECT);
        expect(back, page.response.text).to.not.equal(undefined);
        expect(back?.searchParams.get('error')).to.equal('invalid_request');
        expect(back?.searchParams.get('error_description')).to.be.a('string');
        expect(back?.searchParams.get('state')).to.equal('st-dcr');
        expect(back?.searchParams.get('iss')).to.equal(h.url);
        expect(back?.searchParams.has('code')).to.equal(false);
      });
    });

    context('when the request is bad and the user approved the client before', () => {
      it('redirects the error to the client', async () => {
        const client = await registerFor();
        await obtainTokens(h, client);
        const page = await openConsent(
          h.url,
          h.session,
          authorizeParams(client, { code_challenge_method: 'plain' }),
        );
        expect(page.response.status, page.response.text).to.equal(302);
        const location = new URL(page.response.headers.get('location') ?? '');
        expect(`${location.origin}${location.pathname}`).to.equal(REDIRECT);
        expect(location.searchParams.get('error')).to.equal('invalid_request');
        expect(location.searchParams.get('state')).to.equal('st-dcr');
        expect(location.searchParams.get('iss')).to.equal(h.url);
      });
    });

    context('when the client changes between the consent page and the answer', () => {
      it('issues no code to a redirect URI the client removed (PUT)', async () => {
        const client = await registerFor();
        const page = await openConsent(h.url, h.session, authorizeParams(client));
        const put = await manage(h.url, client).put({
          redirect_uris: ['https://connector.example.net/other'],
        });
        expect(put.status, put.text).to.equal(200);
        const answer = await decide(h.url, page, 'allow');
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });

      it('issues no code for a client that deleted itself (DELETE)', async () => {
        const client = await registerFor();
        const page = await openConsent(h.url, h.session, authorizeParams(client));
        expect((await manage(h.url, client).remove()).status).to.equal(204);
        const answer = await decide(h.url, page, 'allow');
        expect(answer.headers.get('location') ?? '').to.not.include('code=');
      });
    });

    context('after the client replaced its redirect URIs', () => {
      it('refuses the old redirect URI on an error page and accepts the new one', async () => {
        const client = await registerFor();
        const put = await manage(h.url, client).put({ redirect_uris: ['https://connector.example.net/new'] });
        expect(put.status, put.text).to.equal(200);
        const old = await openConsent(h.url, h.session, authorizeParams(client));
        expect(old.response.status, old.response.text).to.equal(400);
        expect(old.response.headers.get('location')).to.equal(null);
        const fresh = await openConsent(
          h.url,
          h.session,
          authorizeParams(client, { redirect_uri: 'https://connector.example.net/new' }),
        );
        expect(fresh.response.status, fresh.response.text).to.equal(200);
      });
    });
  },
);
