// The Sources view on the real core through the bridge, with credentials in a real keyring (the
// suite runs under scripts/with-keyring.sh), against a DefectDojo replay server on 127.0.0.1
// that answers as DefectDojo's API v2 documents (limit/offset pages of findings, 403
// {"detail": "Invalid token."}, a 429 with Retry-After) from the corpus's page of findings. The
// requests and their paging are checked in Rust (crates/truce-core/tests/source_defectdojo.rs);
// here: what the person sees in each state (new, testing, syncing, rate limited, failed, done),
// cancelling, the schedule, and a scheduled sync without a network said once.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, test } from '../lib/harness.mjs';

export const TOKEN = 'c8572a5adf107a693aa6c72584da31f4d1f1dcff';

/** A DefectDojo of the corpus's first page of findings; `behave` tunes how it answers. */
export function dojo(root) {
  const page = JSON.parse(readFileSync(join(root, 'tests/corpus/scans/defectdojo/api-findings/page-1.json'), 'utf8'));
  const findings = [...page.results].sort(
    (a, b) => b.last_status_update.localeCompare(a.last_status_update) || a.id - b.id,
  );
  const behave = { stall: 0, pageDelay: 0, throttle: 0, asked: [] };
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    const answer = () => {
      if (url.pathname !== '/api/v2/findings/') return send(404, { detail: 'Not found.' });
      behave.asked.push(url.search);
      if (req.headers.authorization !== `Token ${TOKEN}`) return send(403, { detail: 'Invalid token.' });
      if (behave.throttle > 0) {
        behave.throttle -= 1;
        return send(429, { detail: 'Request was throttled. Expected available in 2 seconds.' }, { 'retry-after': '2' });
      }
      const offset = Number(url.searchParams.get('offset') ?? 0);
      // Two a page, whatever the limit: the sync follows the offsets.
      const results = findings.slice(offset, offset + 2);
      const endpoints = {};
      for (const f of results) for (const id of f.endpoints) endpoints[id] = page.prefetch.endpoints[id];
      const more = offset + results.length < findings.length;
      setTimeout(
        () =>
          send(200, {
            count: findings.length,
            next: more ? `${url.origin}/api/v2/findings/?offset=${offset + results.length}` : null,
            previous: null,
            results,
            prefetch: { endpoints },
          }),
        url.searchParams.has('offset') ? behave.pageDelay : 0,
      );
    };
    setTimeout(answer, behave.stall);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ base: `http://127.0.0.1:${server.address().port}`, behave, close: () => server.close() })),
  );
}

export function registerSourcesTests(ctx) {
  // The page's clock at the bridge's: "synced just now", the next scheduled sync.
  const at = async (page) => page.clock.setFixedTime(new Date(ctx.now));
  const shoot = async (page, name) => {
    await page.screenshot({ path: join(ctx.shots, `browser-sources-${name}.png`) });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, `browser-sources-${name}-dark.png`) });
    await page.emulateMedia({ colorScheme: 'light' });
  };
  const sourceRow = async (name) => (await ctx.bridge.invoke('sources', {})).sources.find((r) => r.source.name === name);

  test('a DefectDojo source is added, refused, tested, synced with its progress, and its findings land', async () => {
    const server = await dojo(ctx.root);
    const page = await ctx.page();
    await at(page);
    try {
      const before = (await ctx.bridge.invoke('overview', {})).counts.open_findings;
      await page.getByRole('button', { name: 'Sources' }).click();
      await page.getByRole('heading', { name: 'No sources yet' }).waitFor();
      await shoot(page, 'new');

      // A mistyped token: the test that follows the adding says so.
      const form = page.getByRole('form', { name: 'Add a source' });
      await form.getByLabel('Kind').selectOption({ label: 'DefectDojo' });
      await form.getByLabel('Name').fill('Dojo');
      await form.getByLabel('API address').fill(server.base);
      assert.equal(await form.getByLabel('Access key').count(), 0, 'DefectDojo takes a token only');
      await form.getByLabel('API token').fill('not-the-token');
      await form.getByLabel('Scope').fill('Customer Portal');
      await form.getByRole('button', { name: 'Add and test' }).click();
      const card = page.getByRole('article', { name: 'Dojo' });
      await card.getByText('Test failed').waitFor();
      assert.match(await card.innerText(), /Product name: Customer Portal/);
      assert.match(await card.innerText(), /the API token is not accepted/);
      await shoot(page, 'failed');

      // The right token; DefectDojo is slow to answer, so the test is seen running.
      server.behave.stall = 2500;
      await card.getByRole('button', { name: 'Credentials…' }).click();
      await card.getByLabel('API token').fill(TOKEN);
      await card.getByRole('button', { name: 'Save and test' }).click();
      await card.getByText('Testing the connection…').waitFor();
      await shoot(page, 'testing');
      await card.getByText('Reachable').waitFor({ timeout: 10_000 });
      server.behave.stall = 0;

      // A sync: the first page is throttled (429, Retry-After: 2), then each page takes a while.
      server.behave.throttle = 1;
      server.behave.pageDelay = 1200;
      await card.getByRole('button', { name: 'Sync now' }).click();
      await card.getByText('rate limited').waitFor({ timeout: 10_000 });
      assert.match(await card.innerText(), /the API asked to slow down: waiting 2 s/);
      await shoot(page, 'rate-limited');
      await card.getByText(/1 page, 2 findings so far/).waitFor({ timeout: 10_000 });
      assert.equal(await card.getByRole('progressbar').count(), 1);
      await shoot(page, 'syncing');
      await card.getByText('Synced just now').waitFor({ timeout: 20_000 });
      // Four DefectDojo findings (399 on two endpoints): five, two of them open.
      const row = await sourceRow('Dojo');
      assert.match(row.source.last_result, /^2 pages, 5 findings: 5 new/, row.source.last_result);
      assert.match(await card.innerText(), /2 pages, 5 findings: 5 new/);
      assert.equal((await ctx.bridge.invoke('overview', {})).counts.open_findings, before + 2);
      await shoot(page, 'done');
      // The asked order and paging: newest status change first, from offset 0 then 2.
      const paged = server.behave.asked.filter((q) => q.includes('offset='));
      assert.ok(paged.every((q) => q.includes('o=-last_status_update,id') && q.includes('product_name=Customer%20Portal')), paged.join('\n'));

      // A schedule, kept by the workspace.
      await card.getByLabel('Schedule').selectOption({ label: 'Every 4 hours' });
      await card.getByText(/Every 4 h · next at \d\d:\d\d/).waitFor();
      assert.equal((await sourceRow('Dojo')).source.every_hours, 4);

      // Overview's counts follow the sync without a reload.
      await page.getByRole('button', { name: 'Overview' }).click();
      assert.equal(await page.locator('[data-count="open-findings"] .n').innerText(), String(before + 2));
    } finally {
      await page.close();
      server.close();
    }
  });

  test('a sync is cancelled from the view, and a scheduled one without a network is said once', async () => {
    const server = await dojo(ctx.root);
    const page = await ctx.page();
    await at(page);
    try {
      await ctx.bridge.invoke('add_source', { kind: 'defectdojo', name: 'Slow Dojo', url: server.base, access_key: '', secret_key: TOKEN });
      server.behave.pageDelay = 30_000;
      await page.getByRole('button', { name: 'Sources' }).click();
      const card = page.getByRole('article', { name: 'Slow Dojo' });
      await card.getByRole('button', { name: 'Sync now' }).click();
      await card.getByText('Syncing…').waitFor();
      await card.getByRole('button', { name: 'Cancel' }).click();
      await card.getByText('Sync cancelled').waitFor({ timeout: 5_000 });
      assert.match((await sourceRow('Slow Dojo')).source.last_problem, /the sync was cancelled; what it had imported stays/);

      // Nothing listens at port 9 of the loopback: a scheduled sync finds no network.
      await ctx.bridge.invoke('add_source', { kind: 'defectdojo', name: 'Away', url: 'http://127.0.0.1:9', access_key: '', secret_key: TOKEN });
      await ctx.bridge.invoke('set_source_schedule', { name: 'Away', every_hours: 1 });
      await page.reload();
      await at(page);
      const notice = page.getByRole('status').filter({ hasText: 'Away could not be reached (no network?)' });
      await notice.waitFor({ timeout: 40_000 });
      await page.getByRole('button', { name: 'Sources' }).click();
      const away = page.getByRole('article', { name: 'Away' });
      assert.match(await away.innerText(), /Could not reach the source[\s\S]*Every hour · next at \d\d:\d\d \(retry\)/);
      await shoot(page, 'offline');
      await notice.getByRole('button', { name: 'Dismiss' }).click();
      assert.equal(await notice.count(), 0);
      assert.equal((await sourceRow('Away')).due, false, 'tried again an hour later, not at once');
    } finally {
      await page.close();
      server.close();
    }
  });
}
