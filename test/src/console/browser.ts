import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium, installed by `.ci/run` when missing; nothing is downloaded by a browser installer. */
export const CHROMIUM = '/usr/bin/chromium';

/** axe-core's source, evaluated through the DevTools protocol: the pages' CSP forbids inline scripts. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Where the run saves a screenshot of every page, light and dark (ignored by git). */
export const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.screenshots');

/**
 * Headless Chromium for a suite, or a skip on a developer's machine without it; where
 * `LATCHKEY_TEST_REQUIRE_SERVER=1` says everything must run (CI), its absence fails the suite.
 */
export const launchChromium = async (skip: () => never): Promise<Browser> => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.LATCHKEY_TEST_REQUIRE_SERVER === '1')
      throw new Error(`${CHROMIUM} is missing, and this run requires it (apt-get install chromium)`);
    skip();
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
};

interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly { readonly target: readonly string[] }[];
}

/** The WCAG 2.2 AA rules axe-core checks, and no best-practice extras. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/**
 * Runs axe-core in the page and returns its violations, one line each: every WCAG 2.2 AA rule, or
 * with `colourOnly` those of them that axe files under colour (`cat.color`), the ones another
 * colour scheme of the same markup can change.
 */
export const axeViolations = async (page: Page, colourOnly = false): Promise<string[]> => {
  const loaded = await page.evaluate(() => 'axe' in globalThis);
  if (!loaded) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(
    async ({ tags, colourOnly }) => {
      const { axe, document } = globalThis as unknown as {
        axe: {
          run: (context: unknown, options: unknown) => Promise<unknown>;
          getRules: (tags: string[]) => { ruleId: string; tags: string[] }[];
        };
        document: unknown;
      };
      const colourRules = axe
        .getRules(tags)
        .filter((rule) => rule.tags.includes('cat.color') && !rule.tags.includes('experimental'))
        .map((rule) => rule.ruleId);
      const runOnly = colourOnly ? { type: 'rule', values: colourRules } : { type: 'tag', values: tags };
      const result = (await axe.run(document, { runOnly })) as { violations: AxeViolation[] };
      return result.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target })),
      }));
    },
    { tags: AXE_TAGS, colourOnly },
  );
  return violations.map(
    (v) =>
      `${v.id} (${v.impact ?? 'n/a'}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
};

/**
 * Collects the page's reports of Content-Security-Policy violations: a page that needs an inline
 * script or style, or loads from elsewhere, shows up here.
 */
export const cspViolations = (page: Page): string[] => {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy'))
      seen.push(message.text());
  });
  return seen;
};

/**
 * Checks the page as it is in the light and the dark scheme: no axe-core violation at WCAG 2.2
 * AA, and a screenshot of each saved under `SCREENSHOTS`.
 */
export const checkPage = async (page: Page, name: string): Promise<void> => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // The markup is the same in both schemes: the dark one is checked for what colours change.
    const violations = await axeViolations(page, colorScheme === 'dark');
    expect(violations, `${name} (${colorScheme})`).to.deep.equal([]);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
};

/** Whether the page fits a viewport this wide without sideways scrolling of the whole page. */
export const fitsWidth = (page: Page): Promise<boolean> =>
  page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as {
      document: { documentElement: { scrollWidth: number } };
      innerWidth: number;
    };
    return document.documentElement.scrollWidth <= innerWidth;
  });
