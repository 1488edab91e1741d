// The analyst's and the CAB chair's decisions on the real core (through the bridge, a fresh demo
// each test, the clock at 2026-11-24 09:00 UTC): who is signed in acts, an item is approved by its
// approver, an exception is asked for by one person and decided by another.
import { join } from 'node:path';
import { assert, test } from '../lib/harness.mjs';

/** Waits until the header's person menu shows `text` as chosen. */
async function shownAsSignedIn(page, text) {
  await page.waitForFunction((t) => document.querySelector('select[aria-label="Signed in as"]')?.selectedOptions[0]?.textContent?.startsWith(t), text);
}

async function signIn(page, name) {
  const select = page.getByLabel('Signed in as');
  const value = await select.locator('option', { hasText: name }).getAttribute('value');
  await select.selectOption(value);
  await shownAsSignedIn(page, name);
}

/** The item's detail, from its card: in the backlog, or on the calendar `weeksOn` weeks ahead. */
async function openItem(page, id, { weeksOn = 0 } = {}) {
  await page.getByRole('button', { name: 'Board', exact: true }).click();
  await page.getByLabel('Filter work items').fill('');
  await page.getByRole('button', { name: 'Today' }).click();
  for (let i = 0; i < weeksOn; i++) await page.getByRole('button', { name: 'Next' }).click();
  const card = page.locator(`[data-item-id="${id}"] .title`);
  await card.first().waitFor();
  await card.first().click();
  const drawer = page.getByRole('complementary', { name: 'Work item' });
  await drawer.getByTestId('item-state').waitFor();
  return drawer;
}

export function registerDecisionTests(ctx) {
  test('the CAB chair, signed in, approves an item in the app; the history names her', async () => {
    const page = await ctx.page();
    // The demo has people but nobody at this laptop: the header asks.
    await page.getByText('Who are you?').waitFor();
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    // Wes Web scheduled the critical PHP upgrade on Sun 13 Dec; Carla CAB is its approver (crates/truce-core/src/demo.rs).
    const php = board.items.find((i) => i.state === 'scheduled' && i.environment === 'prod');
    assert.ok(php, 'the demo schedules a prod item');
    await signIn(page, 'Wes Web');
    let drawer = await openItem(page, php.id, { weeksOn: 2 });
    await drawer.getByLabel('Reason for the change').fill('looks fine to me');
    await drawer.getByRole('button', { name: 'Approve', exact: true }).click();
    await drawer.getByRole('alert').filter({ hasText: 'Wes Web is not this item' }).waitFor();
    await drawer.getByRole('button', { name: 'Close' }).click();

    await signIn(page, 'Carla CAB');
    assert.equal((await ctx.bridge.invoke('session', {})).signed_in.name, 'Carla CAB');
    drawer = await openItem(page, php.id, { weeksOn: 2 });
    await drawer.getByLabel('Reason for the change').fill('CAB 24 Nov: approved');
    await drawer.getByRole('button', { name: 'Approve', exact: true }).click();
    await drawer.getByTestId('item-state').filter({ hasText: 'approved' }).waitFor();
    const stored = await ctx.bridge.invoke('item', { id: php.id });
    assert.equal(stored.detail.item.state, 'approved');
    const entry = stored.detail.history.find((h) => h.reason === 'CAB 24 Nov: approved');
    assert.equal(entry?.actor, 'Carla CAB', JSON.stringify(stored.detail.history));
    const history = await drawer.locator('.history').innerText();
    assert.match(history, /Carla CAB: state scheduled → approved/);
    // Names and times people read, never ids: the window by its name, no UUID anywhere.
    assert.match(history, /Wes Web: window — → Monthly prod web window/);
    assert.doesNotMatch(history, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-/);
    await page.screenshot({ path: join(ctx.shots, 'browser-approved-by-carla.png') });
    await page.close();
  });

  test('an exception asked for by security is approved by someone else, shows on the item and the dashboard', async () => {
    const page = await ctx.page();
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    const item = board.items.find((i) => i.environment === 'qa' && i.state === 'backlog');
    const page0 = await ctx.bridge.invoke('item', { id: item.id });
    await signIn(page, 'Sam Sec');
    const drawer = await openItem(page, item.id);
    const form = drawer.getByRole('form', { name: 'Ask for an exception' });
    // The date field is bounded by the policy the core reports for this item.
    assert.equal(await form.getByLabel('Expires').getAttribute('max'), page0.exception_until.slice(0, 10));
    await form.getByLabel('Justification').fill('vendor appliance, patch after the migration');
    await form.getByLabel('Compensating control').fill('no route from the internet');
    await form.getByLabel('Expires').fill('2026-12-10');
    await form.getByRole('button', { name: 'Request exception' }).click();
    const asked = drawer.locator('[data-exception="requested"]');
    await asked.waitFor();
    assert.match(await asked.innerText(), /until 2026-12-10 · asked by Sam Sec/);
    assert.match(await asked.innerText(), /Awaiting a decision by someone other than Sam Sec/);
    assert.equal(await form.count(), 0, 'no second request while one awaits a decision');
    await page.screenshot({ path: join(ctx.shots, 'browser-exception-requested.png') });

    await signIn(page, 'Carla CAB');
    await drawer.getByRole('button', { name: 'Close' }).click();
    await openItem(page, item.id);
    await drawer.getByLabel('Reason for the decision').fill('accepted until the migration');
    await drawer.getByRole('button', { name: 'Approve exception' }).click();
    const approved = drawer.locator('[data-exception="approved"]');
    await approved.waitFor();
    assert.match(await approved.innerText(), /approved by Carla CAB on 2026-11-24: “accepted until the migration”/);
    const after = await ctx.bridge.invoke('item', { id: item.id });
    assert.ok(after.detail.findings.every((f) => f.status === 'risk_accepted'), JSON.stringify(after.detail.findings.map((f) => f.status)));
    assert.equal(after.exceptions[0].decided_by, 'Carla CAB');
    assert.equal(after.exceptions[0].requested_by, 'Sam Sec');
    await page.screenshot({ path: join(ctx.shots, 'browser-exception-approved.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-exception-approved-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    await drawer.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Dashboard', exact: true }).click();
    const ending = page.getByRole('region', { name: 'Exceptions ending soon' });
    const row = ending.locator(`[data-exception="${after.exceptions[0].id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /10 Dec 2026\s+.*\s+approved\s+Sam Sec\s+Carla CAB/);
    await page.screenshot({ path: join(ctx.shots, 'browser-dashboard-exceptions.png'), fullPage: true });
    await page.close();
  });

  test('a signed-out laptop adds its person from the header; a past expiry is refused with the reason', async () => {
    const page = await ctx.page({ width: 1024, height: 700 });
    // Cancelling "Add yourself…" leaves the menu as it was, not showing "Add yourself…".
    await page.getByLabel('Signed in as').selectOption({ label: 'Add yourself…' });
    await page.getByRole('form', { name: 'Add yourself' }).getByRole('button', { name: 'Cancel' }).click();
    await shownAsSignedIn(page, 'Choose yourself…');
    await page.getByLabel('Signed in as').selectOption({ label: 'Add yourself…' });
    const add = page.getByRole('form', { name: 'Add yourself' });
    await add.getByLabel('Your name').fill('Alex Analyst');
    await add.getByLabel('Your team').selectOption('Security');
    await page.screenshot({ path: join(ctx.shots, 'browser-add-yourself-1024.png') });
    await add.getByRole('button', { name: 'Sign in' }).click();
    await shownAsSignedIn(page, 'Alex Analyst · Security');
    assert.equal((await ctx.bridge.invoke('session', {})).signed_in.name, 'Alex Analyst');
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    const item = board.items.find((i) => i.environment === 'qa' && i.state === 'backlog');
    const drawer = await openItem(page, item.id);
    const form = drawer.getByRole('form', { name: 'Ask for an exception' });
    await form.getByLabel('Justification').fill('too late');
    await form.getByLabel('Expires').fill('2026-11-01');
    await form.getByRole('button', { name: 'Request exception' }).click();
    await drawer.getByRole('alert').filter({ hasText: 'the expiry 2026-11-01 is not in the future' }).waitFor();
    assert.equal((await ctx.bridge.invoke('item', { id: item.id })).exceptions.length, 0);
    await page.screenshot({ path: join(ctx.shots, 'browser-exception-refused-1024.png') });
    await page.close();
  });

  test('the ops scheduler splits an item per host from its page, and merges one back', async () => {
    const page = await ctx.page();
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    // A waiting qa item on the most hosts (the demo's qa reports cover seven hosts).
    const item = board.items
      .filter((i) => i.environment === 'qa' && i.state === 'backlog')
      .sort((a, b) => b.assets - a.assets)[0];
    assert.ok(item.assets > 1, JSON.stringify(item));
    const drawer = await openItem(page, item.id);
    const section = drawer.getByRole('region', { name: 'Split or merge' });
    await section.getByLabel('Split by').selectOption('asset');
    await section.getByRole('button', { name: 'Split', exact: true }).click();
    await drawer.getByRole('status').filter({ hasText: 'Split' }).waitFor();
    const after = (await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' })).items.filter((i) => i.action === item.action && i.environment === 'qa');
    assert.equal(after.length, item.assets, 'one item per host');
    assert.ok(after.every((i) => i.assets === 1));
    // Each card now names its host instead of "0 of 1 host done".
    for (const i of after) {
      const host = (await ctx.bridge.invoke('item', { id: i.id })).detail.findings[0].asset;
      assert.deepEqual(i.hosts, [host]);
    }
    const named = after.find((i) => i.id !== item.id);
    await page.getByLabel('Filter work items').fill(named.title);
    assert.equal(await page.locator(`.backlog [data-item-id="${named.id}"] [data-testid="card-hosts"]`).innerText(), named.hosts[0]);
    await page.getByLabel('Filter work items').fill('');
    // The page now offers the others (same fix) to merge back.
    const merge = section.getByLabel('Merge with');
    const other = after.find((i) => i.id !== item.id);
    await merge.selectOption(other.id);
    await page.screenshot({ path: join(ctx.shots, 'browser-item-split-merge.png') });
    await section.getByRole('button', { name: 'Merge into this item' }).click();
    await drawer.getByRole('status').filter({ hasText: 'Merged' }).waitFor();
    const stored = await ctx.bridge.invoke('item', { id: item.id });
    assert.equal(stored.detail.item.assets, 2);
    assert.ok(!(await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' })).items.some((i) => i.id === other.id), 'the merged item is gone');
    await page.close();
  });

  test('the Assets view: ops finds hosts, selects several and sets their HA group, criticality and a tag', async () => {
    const page = await ctx.page();
    await page.getByRole('button', { name: 'Assets', exact: true }).click();
    // The demo's nine hosts (crates/truce-core/demo: seven qa3app, testphp.vulnweb.com, preprod.boardvantage.net).
    await page.getByTestId('assets-count').filter({ hasText: '9 of 9 assets' }).waitFor();
    await page.getByLabel('Filter assets').fill('qa3app0');
    await page.getByTestId('assets-count').filter({ hasText: '7 of 9 assets' }).waitFor();
    const list = await ctx.bridge.invoke('assets', {});
    const id = (name) => list.find((a) => a.name === name).id;
    await page.locator(`[data-asset-id="${id('qa3app01')}"]`).click();
    await page.locator(`[data-asset-id="${id('qa3app02')}"]`).click({ modifiers: ['Control'] });
    const form = page.getByRole('form', { name: 'Set facts' });
    assert.match(await form.innerText(), /Set on 2 assets/);
    await form.getByLabel('HA group').fill('db-cluster');
    await form.getByLabel('Criticality').selectOption('high');
    await form.getByLabel('Tag').fill('pci');
    await page.screenshot({ path: join(ctx.shots, 'browser-assets.png') });
    await form.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: '6 changes on 2 assets' }).waitFor();
    const after = await ctx.bridge.invoke('assets', {});
    for (const name of ['qa3app01', 'qa3app02']) {
      const a = after.find((x) => x.name === name);
      assert.deepEqual([a.ha_group, a.criticality, a.tags], ['db-cluster', 'high', ['pci']], name);
    }
    assert.equal(after.find((x) => x.name === 'qa3app03').ha_group, null, 'only the selected');
    assert.match(await page.locator(`[data-asset-id="${id('qa3app01')}"]`).innerText(), /db-cluster[\s\S]*pci/);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-assets-dark.png') });
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.screenshot({ path: join(ctx.shots, 'browser-assets-dark-1024.png') });
    await page.close();
  });

  test('the Assets view: a host split off by one of its keys, and merged back', async () => {
    const page = await ctx.page();
    await page.getByRole('button', { name: 'Assets', exact: true }).click();
    await page.getByTestId('assets-count').filter({ hasText: '9 of 9 assets' }).waitFor();
    // preprod.boardvantage.net is known by fqdn, hostname and ip=12.233.108.201 (its 7 findings
    // come from one scan that named all three: crates/truce-core/demo/nessus_many_vuln.nessus).
    const before = await ctx.bridge.invoke('assets', {});
    const preprod = before.find((a) => a.name === 'preprod.boardvantage.net');
    assert.equal(preprod.open_findings, 7);
    await page.locator(`[data-asset-id="${preprod.id}"]`).click();
    await page.getByRole('button', { name: 'Split…' }).click();
    const splitPanel = page.getByRole('group', { name: 'Split asset' });
    await splitPanel.getByLabel('ip=12.233.108.201').check();
    await page.screenshot({ path: join(ctx.shots, 'browser-assets-split.png') });
    await splitPanel.getByRole('button', { name: 'Split off' }).click();
    await page.getByRole('status').filter({ hasText: 'ip=12.233.108.201 split off from preprod.boardvantage.net as 12.233.108.201, with 7 findings' }).waitFor();
    await page.getByTestId('assets-count').filter({ hasText: '10 of 10 assets' }).waitFor();
    const split = (await ctx.bridge.invoke('assets', {})).find((a) => a.name === '12.233.108.201');
    assert.deepEqual(split.identifiers, ['ip=12.233.108.201']);

    await page.locator(`[data-asset-id="${split.id}"]`).click();
    await page.locator(`[data-asset-id="${preprod.id}"]`).click({ modifiers: ['Control'] });
    await page.getByRole('button', { name: 'Merge…' }).click();
    const mergePanel = page.getByRole('group', { name: 'Merge assets' });
    await mergePanel.getByLabel('Asset kept').selectOption(preprod.id);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-assets-merge-dark.png') });
    await mergePanel.getByRole('button', { name: 'Merge 2 assets' }).click();
    await page.getByRole('status').filter({ hasText: '12.233.108.201 merged into preprod.boardvantage.net: 7 findings moved' }).waitFor();
    await page.getByTestId('assets-count').filter({ hasText: '9 of 9 assets' }).waitFor();
    const after = (await ctx.bridge.invoke('assets', {})).find((a) => a.id === preprod.id);
    assert.equal(after.open_findings, 7);
    assert.deepEqual(after.identifiers, preprod.identifiers);
    await page.close();
  });
}
