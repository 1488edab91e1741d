// The built UI in Debian's Chromium, driven by Playwright, against the replayed real backend.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { assert, runAll, test, waitForPort } from '../lib/harness.mjs';
import { installFakeBackend } from './fake-backend.mjs';
import { bridgedPage, startBridge } from './bridge.mjs';
import { registerBoardTests } from './board.mjs';
import { registerViewTests } from './views.mjs';
import { registerDecisionTests } from './decisions.mjs';
import { registerHubTests } from './hub.mjs';
import { registerSourcesTests } from './sources.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const shots = join(root, 'tests/out/screenshots');
mkdirSync(shots, { recursive: true });
const fixture = JSON.parse(readFileSync(join(root, 'tests/out/ui-fixture.json'), 'utf8'));
const PORT = Number(process.env.UI_PORT ?? 4173);

let server, browser, bridge;
const consoleErrors = [];
// The views that change the workspace run against the real core through the bridge, on a
// fresh demo workspace each, with the clock at this instant.
const NOW = '2026-11-24T09:00:00Z';
const ctx = {
  root,
  shots,
  consoleErrors,
  now: NOW,
  get browser() { return browser; },
  get bridge() { return bridge; },
  /**
   * A page on a fresh demo workspace served by the real core. `options` are Playwright context
   * options such as `{ timezoneId: 'Asia/Tokyo' }` (the browser's own zone).
   */
  async page(viewport, options) {
    await bridge.reset();
    return bridgedPage(browser, bridge, `http://127.0.0.1:${PORT}/`, consoleErrors, viewport, options);
  },
};

async function freshPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.addInitScript(installFakeBackend, fixture);
  await page.goto(`http://127.0.0.1:${PORT}/`);
  return page;
}

async function openDemo(page) {
  await page.getByRole('button', { name: 'Open demo workspace' }).click();
  await page.getByTestId('findings-count').filter({ hasText: 'findings' }).waitFor();
}

const countText = (page) => page.getByTestId('findings-count').innerText();

test('the welcome screen offers the demo, a new workspace and an existing file', async () => {
  const page = await freshPage();
  for (const name of ['Open demo workspace', 'New workspace…', 'Open file…']) {
    assert.ok(await page.getByRole('button', { name }).isVisible(), name);
  }
  await page.screenshot({ path: join(shots, 'browser-welcome.png') });
  await page.close();
});

test('opening the demo shows its counts, imports and findings', async () => {
  const page = await freshPage();
  await openDemo(page);
  // From the embedded reports: 9 hosts, 296 + 7 + 48 findings, 3 change windows.
  assert.equal(await page.locator('[data-count="assets"] .n').innerText(), '9');
  assert.equal(await page.locator('[data-count="open-findings"] .n').innerText(), '351');
  assert.equal(await page.locator('[data-count="change-windows"] .n').innerText(), '3');
  assert.equal(await countText(page), '351 findings');
  const first = page.locator('[data-finding-id]').first();
  assert.match(await first.innerText(), /critical[\s\S]*testphp\.vulnweb\.com[\s\S]*PHP Unsupported Version Detection/i);
  const imports = await page.locator('ul.imports li').allInnerTexts();
  assert.equal(imports.length, 3);
  assert.ok(imports.some((t) => t.includes('nessus_v_unknown.nessus') && t.includes('7 assets') && t.includes('296 findings')));
  assert.equal(await page.title(), 'demo — Truce');
  await page.screenshot({ path: join(shots, 'browser-overview.png') });
  await page.close();
});

test('the findings list is virtualized and loads later pages as it scrolls', async () => {
  const page = await freshPage();
  await openDemo(page);
  const rendered = await page.locator('[role="row"]').count();
  assert.ok(rendered > 5 && rendered < 120, `rendered ${rendered} rows of 351`);
  const scroller = page.locator('.list > div').first();
  await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
  // The last finding sits on the second page (offset 200).
  await page.waitForFunction(() => window.__fakeCalls.some((c) => c.cmd === 'findings' && c.args.query.offset === 200));
  await page.locator('[data-finding-id]').last().waitFor();
  const lastText = await page.locator('[data-finding-id]').last().innerText();
  assert.match(lastText, /info/i);
  await page.close();
});

test('severity filters narrow the list', async () => {
  const page = await freshPage();
  await openDemo(page);
  await page.getByRole('button', { name: 'critical' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.textContent === '1 finding');
  await page.getByRole('button', { name: 'high' }).click();
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.textContent === '11 findings');
  const sevs = await page.locator('[data-finding-id] .sev').allInnerTexts();
  assert.equal(sevs.length, 11);
  assert.ok(sevs.every((s) => /critical|high/i.test(s)), sevs.join(','));
  await page.screenshot({ path: join(shots, 'browser-filtered.png') });
  await page.close();
});

test('typing filters by asset and by CVE', async () => {
  const page = await freshPage();
  await openDemo(page);
  await page.getByLabel('Filter findings').fill('qa3app04');
  // qa3app04 has 41 distinct (pluginID, port, protocol) items in nessus_v_unknown.xml.
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.textContent === '41 findings');
  await page.getByLabel('Filter findings').fill('CVE-2012-1823');
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.textContent === '1 finding');
  await page.getByLabel('Filter findings').fill('no-such-thing');
  await page.getByText('No findings match.').waitFor();
  await page.close();
});

test('importing reports shows progress, then each file\'s summary, and the new counts', async () => {
  const page = await freshPage();
  await openDemo(page);
  await page.getByRole('button', { name: 'Import reports…' }).click();
  // Progress bars while the (replayed) import runs.
  await page.locator('progress').first().waitFor();
  await page.screenshot({ path: join(shots, 'browser-import-progress.png') });
  const outcomes = page.getByTestId('import-outcome');
  await outcomes.nth(1).waitFor();
  // The damaged file is refused with its name and position...
  const refused = await outcomes.nth(0).innerText();
  assert.match(refused, /damaged\.nessus/);
  assert.match(refused, /byte \d+/);
  // ...the rescan a day later no longer has plugin 58987 (the only critical): 1 closed, 47 unchanged.
  const rescan = await outcomes.nth(1).innerText();
  assert.match(rescan, /1 asset, 47 findings: 0 new, 1 closed, 0 reopened, 47 unchanged/);
  await page.waitForFunction(() => document.querySelector('[data-count="open-findings"] .n')?.textContent === '350');
  await page.waitForFunction(() => document.querySelector('[data-testid=findings-count]')?.textContent === '350 findings');
  const first = await page.locator('[data-finding-id] .sev').first().innerText();
  assert.match(first, /high/i, 'no critical finding left open');
  await page.screenshot({ path: join(shots, 'browser-import-done.png') });
  // On a 1024x700 screen the results stay a strip, scrolling inside, not half the view.
  await page.setViewportSize({ width: 1024, height: 700 });
  const panel = await page.getByTestId('import-panel').boundingBox();
  assert.ok(panel.height <= 0.3 * 700 + 1, `import panel ${panel.height} px high`);
  await page.screenshot({ path: join(shots, 'browser-import-done-1024.png') });
  await page.getByRole('button', { name: 'Dismiss import results' }).click();
  assert.equal(await page.getByTestId('import-panel').count(), 0);
  await page.close();
});

registerBoardTests(ctx);
registerViewTests(ctx);
registerDecisionTests(ctx);
registerHubTests(ctx);
registerSourcesTests(ctx);

test('no console errors and no CSP violations', async () => {
  assert.deepEqual(consoleErrors, []);
});

await runAll('browser', {
  before: async () => {
    server = spawn(process.execPath, [join(root, 'ui/node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
      cwd: join(root, 'ui'),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForPort(PORT);
    bridge = await startBridge(root, NOW);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
  },
  after: async () => {
    await browser?.close();
    bridge?.stop();
    server?.kill();
  },
});
