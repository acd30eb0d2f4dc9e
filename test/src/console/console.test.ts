import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  authorizeParams,
  authorizeUrl,
  exchange,
  expectTokens,
  introspect,
  makePkce,
  type OAuthClient,
} from '../oauth/flow-helpers.js';
import type { WireApp } from '../http/admin-api.js';
import {
  describeOnBothStorages,
  MEMBER,
  OWNER,
  postJson,
  request,
  setUpOwner,
  startTestServer,
  type TestServer,
} from '../support/server.js';
import { checkPage, cspViolations, fitsWidth, launchChromium } from './browser.js';

const CALLBACK = 'https://demo.example.com/callback';

/** The browser's cookies for this origin, as a `Cookie` header for a request made from Node. */
const cookieHeader = async (page: Page): Promise<string> =>
  (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');

/** Signs in through the `/login` form, as a person would. */
const signIn = async (page: Page, url: string, email: string, password: string): Promise<void> => {
  await page.goto(`${url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${url}/`);
};

/** The HTTP status of the page the browser shows, after navigating to `path`. */
const open = async (page: Page, url: string, path: string): Promise<number> => {
  const response = await page.goto(`${url}${path}`);
  return response?.status() ?? 0;
};

/** Creates an app through the console's form and returns its client id (from the page's URL). */
const createApp = async (page: Page, url: string, name: string): Promise<string> => {
  await open(page, url, '/apps/new');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByLabel('Callback URL').fill(CALLBACK);
  await page.getByRole('button', { name: 'Create application' }).click();
  await page.waitForURL(/\/apps\/[0-9a-f-]{36}\?done=app-created$/);
  return /\/apps\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? '';
};

/**
 * Creates a secret on the app's page and reads it from there, checking that the answer may not be
 * stored.
 */
const createSecret = async (page: Page): Promise<string> => {
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/secrets'));
  await page.getByRole('button', { name: 'Create secret' }).click();
  const response = await answer;
  expect(response.status()).to.equal(201);
  expect(response.headers()['cache-control']).to.equal('no-store');
  await page.waitForLoadState('domcontentloaded');
  return page.locator('#new-secret').inputValue();
};

/**
 * Runs an authorization for `client` through the real consent page: the browser is sent to the
 * client's callback (answered here, never on the network), whose code is exchanged for tokens.
 */
const authorizeThroughConsent = async (page: Page, url: string, client: OAuthClient) => {
  const pkce = makePkce();
  let callback: URL | undefined;
  await page.route(`${CALLBACK}**`, async (route) => {
    callback = new URL(route.request().url());
    await route.fulfill({ status: 200, contentType: 'text/plain', body: 'back at the client' });
  });
  await page.goto(authorizeUrl(url, authorizeParams(client, pkce)));
  expect(await page.getByRole('heading', { level: 1 }).innerText()).to.include(client.app.name);
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${CALLBACK}**`);
  await page.unroute(`${CALLBACK}**`);
  const params = callback?.searchParams ?? new URLSearchParams();
  const code = params.get('code') ?? '';
  expect(code).to.match(/^lk_code_/);
  return expectTokens(await exchange(url, client, { code, pkce, redirectUri: CALLBACK, params }));
};

let launched: Browser | undefined;

/** The suite's one Chromium, started once for every case of this file. */
const browser = (): Browser => {
  if (launched === undefined) throw new Error('Chromium was not started');
  return launched;
};

before(async function () {
  this.timeout(60_000);
  launched = await launchChromium(() => this.skip());
});

after(async () => {
  await launched?.close();
});

describeOnBothStorages('the web console in Chromium (docs/http-api.md#web-console)', () => {
  beforeEach(function () {
    this.currentTest?.timeout(60_000);
  });
  let server: TestServer | undefined;
  let url: string;
  let context: BrowserContext | undefined;
  let page: Page;
  /** The page's Content-Security-Policy violations: there must be none. */
  let csp: string[] = [];

  before(async () => {
    server = await startTestServer();
    url = server.url;
    await setUpOwner(url);
    context = await browser().newContext();
    page = await context.newPage();
    csp = cspViolations(page);
  });

  afterEach(() => {
    expect(csp, 'Content-Security-Policy violations').to.deep.equal([]);
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  let clientId = '';
  let secret = '';
  let accessToken = '';

  it('signs the owner in and shows the navigation with the owner pages and a sign-out button', async () => {
    await signIn(page, url, OWNER.email, OWNER.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const link of ['Authorized apps', 'Sessions', 'Password', 'Applications', 'Users', 'Audit log'])
      expect(await nav.getByRole('link', { name: link }).count(), link).to.equal(1);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).to.equal(1);
  });

  it('creates an application and a secret that the page shows once', async () => {
    clientId = await createApp(page, url, 'Demo-App');
    expect(await page.getByRole('status').first().innerText()).to.include('created');
    secret = await createSecret(page);
    expect(secret).to.match(/^lk_secret_/);
    await open(page, url, `/apps/${clientId}`);
    expect(await page.content()).to.not.include(secret);
    expect(await page.locator('#new-secret').count()).to.equal(0);
  });

  it('runs an authorization for the app through the consent page and lists it under Authorized applications', async () => {
    const app = (
      await request(`${url}/api/v2/oauth2-provider/apps/${clientId}`, {
        headers: { Cookie: await cookieHeader(page) },
      })
    ).body as WireApp;
    const client: OAuthClient = { id: clientId, type: 'confidential', secret, redirectUri: CALLBACK, app };
    const tokens = await authorizeThroughConsent(page, url, client);
    accessToken = tokens.access_token;
    expect((await introspect(url, client, accessToken)).body).to.include({ active: true });

    await open(page, url, '/authorized-apps');
    const item = page.getByRole('listitem').filter({ has: page.getByRole('heading', { name: 'Demo-App' }) });
    expect(await item.count()).to.equal(1);
    expect(await item.innerText()).to.include('Registered by an owner');
    expect(await item.locator('time').count()).to.equal(2);
  });

  it('revokes the app after a confirmation step, and introspection then says its token is inactive', async () => {
    await page.getByRole('link', { name: /Revoke Demo-App/ }).click();
    await page.waitForURL(`${url}/authorized-apps/${clientId}/revoke`);
    await page.getByRole('button', { name: 'Revoke access' }).click();
    await page.waitForURL(`${url}/authorized-apps?done=revoked`);
    expect(await page.getByRole('heading', { name: 'Demo-App' }).count()).to.equal(0);
    const client = { id: clientId, type: 'confidential', secret, redirectUri: CALLBACK } as OAuthClient;
    expect((await introspect(url, client, accessToken)).body).to.deep.equal({ active: false });
  });

  it('creates a member through the form, keeping what was typed when a field is wrong', async () => {
    await open(page, url, '/users/new');
    await page.getByLabel('Email').fill(MEMBER.email);
    await page.getByLabel('Username').fill(MEMBER.username);
    await page.getByLabel('Password').fill('short');
    // The browser's own check would stop the short password; the server's answer is the point here.
    await page.locator('form[action="/users"]').evaluate((form) => {
      form.setAttribute('novalidate', '');
    });
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('#password-error').count()).to.equal(1);
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).to.equal('true');
    expect(await page.getByLabel('Email').inputValue()).to.equal(MEMBER.email);
    await page.getByLabel('Password').fill(MEMBER.password);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.waitForURL(`${url}/users?done=user-created`);
    expect(await page.getByRole('cell', { name: MEMBER.email, exact: true }).count()).to.equal(1);
  });

  it('shows the audit log, filtered by action and user', async () => {
    await open(page, url, '/audit-log');
    await page.getByLabel('Action').selectOption('revoke');
    await page.getByLabel('User').selectOption({ label: OWNER.username });
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/\/audit-log\?action=revoke/);
    const rows = page.locator('tbody tr');
    expect(await rows.count()).to.be.greaterThan(0);
    for (const row of await rows.all()) expect(await row.locator('td').nth(2).innerText()).to.equal('revoke');
  });

  it('signs out with a POST, after which the pages ask to sign in', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${url}/login`);
    await open(page, url, '/authorized-apps');
    expect(new URL(page.url()).pathname).to.equal('/login');
  });

  it('refuses the owner pages to a member, and leaves them out of the navigation', async () => {
    const member = await browser().newContext();
    try {
      const memberPage = await member.newPage();
      await signIn(memberPage, url, MEMBER.email, MEMBER.password);
      const nav = memberPage.getByRole('navigation', { name: 'Main' });
      expect(await nav.getByRole('link', { name: 'Applications' }).count()).to.equal(0);
      for (const path of [
        '/apps',
        '/apps/new',
        `/apps/${clientId}`,
        '/users',
        '/audit-log',
        '/registered-clients',
      ])
        expect(await open(memberPage, url, path), path).to.equal(403);
    } finally {
      await member.close();
    }
  });
});

describe('every console page in Chromium: accessibility (WCAG 2.2 AA) and screenshots, light and dark', function () {
  // About forty axe-core runs and screenshots.
  this.timeout(180_000);
  let server: TestServer | undefined;
  let url: string;
  let context: BrowserContext | undefined;
  let page: Page;
  /** The page's Content-Security-Policy violations: there must be none. */
  let csp: string[] = [];

  before(async () => {
    server = await startTestServer();
    url = server.url;
    context = await browser().newContext({ viewport: { width: 1100, height: 800 } });
    page = await context.newPage();
    csp = cspViolations(page);
  });

  afterEach(() => {
    expect(csp, 'Content-Security-Policy violations').to.deep.equal([]);
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  it('checks the pages before sign-in', async () => {
    await open(page, url, '/setup');
    await checkPage(page, 'setup');
    await setUpOwner(url);
    await open(page, url, '/');
    await checkPage(page, 'landing');
    await open(page, url, '/login');
    await checkPage(page, 'login');
    expect(await open(page, url, '/no-such-page')).to.equal(404);
    await checkPage(page, 'not-found');
  });

  it('checks every page an owner sees', async () => {
    await signIn(page, url, OWNER.email, OWNER.password);
    await checkPage(page, 'home');
    const clientId = await createApp(page, url, 'Screenshot-App');
    const secret = await createSecret(page);
    await checkPage(page, 'app-new-secret');
    await open(page, url, `/apps/${clientId}`);
    await checkPage(page, 'app');
    await open(page, url, '/apps');
    await checkPage(page, 'apps');
    await open(page, url, `/apps/${clientId}/edit`);
    await checkPage(page, 'app-edit');
    await open(page, url, '/apps/new');
    await page.locator('form[action="/apps"]').evaluate((form) => {
      form.setAttribute('novalidate', '');
    });
    await page.getByLabel('Name', { exact: true }).fill('not a name');
    await page.getByRole('button', { name: 'Create application' }).click();
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('#name-error').count()).to.equal(1);
    expect(await page.getByLabel('Name', { exact: true }).inputValue()).to.equal('not a name');
    await checkPage(page, 'app-form-errors');
    await open(page, url, `/apps/${clientId}/delete`);
    await checkPage(page, 'app-delete');

    const app = (
      await request(`${url}/api/v2/oauth2-provider/apps/${clientId}`, {
        headers: { Cookie: await cookieHeader(page) },
      })
    ).body as WireApp;
    const client: OAuthClient = { id: clientId, type: 'confidential', secret, redirectUri: CALLBACK, app };
    await page.route(`${CALLBACK}**`, (route) => route.fulfill({ status: 200, body: 'ok' }));
    await page.goto(authorizeUrl(url, authorizeParams(client, makePkce())));
    await checkPage(page, 'consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL(`${CALLBACK}**`);
    await page.unroute(`${CALLBACK}**`);

    const registered = await postJson(`${url}/oauth2/register`, {
      redirect_uris: ['https://connector.example.net/callback'],
      client_name: 'Connector',
    });
    expect(registered.status, registered.text).to.equal(201);

    for (const [path, name] of [
      ['/authorized-apps', 'authorized-apps'],
      [`/authorized-apps/${clientId}/revoke`, 'authorized-app-revoke'],
      ['/sessions', 'sessions'],
      ['/password', 'password'],
      ['/registered-clients', 'registered-clients'],
      ['/users', 'users'],
      ['/users/new', 'user-new'],
      ['/audit-log', 'audit-log'],
    ] as const) {
      expect(await open(page, url, path), path).to.equal(200);
      await checkPage(page, name);
    }
    await open(page, url, `/apps/${clientId}`);
    await page.getByRole('link', { name: /Delete the secret ending in/ }).click();
    await page.waitForLoadState('domcontentloaded');
    await checkPage(page, 'secret-delete');
  });

  it('checks a member’s refusal page, and the home page at 360 px wide', async () => {
    await postJson(
      `${url}/api/v2/users`,
      { ...MEMBER },
      {
        Cookie: await cookieHeader(page),
        Origin: url,
      },
    );
    const member = await browser().newContext({ viewport: { width: 360, height: 740 } });
    try {
      const memberPage = await member.newPage();
      await signIn(memberPage, url, MEMBER.email, MEMBER.password);
      expect(await fitsWidth(memberPage)).to.equal(true);
      await checkPage(memberPage, 'home-360px');
      expect(await open(memberPage, url, '/apps')).to.equal(403);
      await checkPage(memberPage, 'forbidden');
    } finally {
      await member.close();
    }
    const narrow = await browser().newContext({ viewport: { width: 360, height: 740 } });
    try {
      const narrowPage = await narrow.newPage();
      await signIn(narrowPage, url, OWNER.email, OWNER.password);
      // Every app page holds a secrets table once a secret exists (the screenshot test made one).
      await open(narrowPage, url, '/apps');
      const appPaths = await narrowPage
        .locator('main a[href^="/apps/"]:not([href="/apps/new"])')
        .evaluateAll((links) => links.map((link) => link.getAttribute('href') ?? ''));
      expect(appPaths).to.not.deep.equal([]);
      for (const path of ['/authorized-apps', '/apps', '/users', '/audit-log', '/sessions', ...appPaths]) {
        await open(narrowPage, url, path);
        expect(await fitsWidth(narrowPage), path).to.equal(true);
      }
      await checkPage(narrowPage, 'audit-log-360px');
    } finally {
      await narrow.close();
    }
  });
});
