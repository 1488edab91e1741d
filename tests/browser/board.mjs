// The planning board on the real core (through the bridge, on a fresh demo workspace each
// test, the clock at 2026-11-24 09:00 UTC). What the page shows is checked against what the
// core stored, read back through the same bridge.
import { join } from 'node:path';
import { assert, test } from '../lib/harness.mjs';

// The demo (crates/truce-core/src/demo.rs): "Weekly Linux patching" every Tuesday 22:00
// Europe/Berlin (21:00 UTC in winter) for qa and staging; the "Year-end change freeze" from
// Fri 18 Dec 2026 00:00 Berlin (17 Dec 23:00 UTC) for 25 days.
const TUESDAY = '2026-12-15T21:00:00.000Z';
const FREEZE = '2026-12-17T23:00:00.000Z';

async function openBoard(ctx, viewport) {
  const page = await ctx.page(viewport);
  await page.getByRole('button', { name: 'Board', exact: true }).click();
  await page.locator('[data-item-id]').first().waitFor();
  return page;
}

/** Three weeks on from the demo's "now": the week of Mon 14 Dec, with a Tuesday and the freeze. */
async function weekOfDec14(page) {
  for (let i = 0; i < 3; i++) await page.getByRole('button', { name: 'Next' }).click();
  await page.getByTestId('board-range').filter({ hasText: '2026-12-14 – 2026-12-20' }).waitFor();
  await occ(page, 'Weekly Linux patching', TUESDAY).waitFor();
}

function occ(page, windowName, start) {
  return page.locator(`[data-occurrence$="@${start}"]`).filter({ hasText: windowName });
}

async function stored(ctx) {
  return ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
}

/** Backlog items of the qa environment, most urgent first, as the core lists them. */
async function qaBacklog(ctx) {
  const b = await stored(ctx);
  return b.items.filter((i) => i.environment === 'qa' && i.window_id === null && i.state === 'backlog');
}

export function registerBoardTests(ctx) {
  test('the board shows the backlog beside the week, with the freeze drawn across its days', async () => {
    const page = await openBoard(ctx);
    const b = await stored(ctx);
    const toPlan = b.items.filter((i) => i.window_id === null && !['done', 'verified'].includes(i.state)).length;
    assert.equal(await page.getByTestId('backlog-count').innerText(), `${toPlan} items to plan`);
    await weekOfDec14(page);
    assert.equal(await occ(page, 'Weekly Linux patching', TUESDAY).count(), 1);
    // The freeze covers Thu 17 Dec 23:00 UTC onwards: the 17th to the 20th are hatched.
    assert.equal(await page.locator('.day.frozen').count(), 4);
    assert.match(await occ(page, 'Year-end change freeze', FREEZE).innerText(), /Year-end change freeze/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-week.png') });
    await page.close();
  });

  test('while dragging, each occurrence says whether the drop fits and why not; the freeze refuses it', async () => {
    const page = await openBoard(ctx);
    await weekOfDec14(page);
    const [item] = await qaBacklog(ctx);
    const card = page.locator(`[data-item-id="${item.id}"]`);
    const freeze = occ(page, 'Year-end change freeze', FREEZE);
    await card.hover();
    await page.mouse.down();
    const box = await freeze.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + 10, { steps: 8 });
    await freeze.locator('[data-testid=verdict]').filter({ hasText: 'refused' }).waitFor();
    assert.match(await freeze.innerText(), /is a blackout: nothing can be scheduled in it/);
    // The Tuesday before the freeze takes it, with a reason: the demo's findings are long overdue.
    const tuesday = occ(page, 'Weekly Linux patching', TUESDAY);
    assert.match(await tuesday.locator('[data-testid=verdict]').innerText(), /needs a reason/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-dragging.png') });
    await page.mouse.up();
    await page.getByTestId('toast').filter({ hasText: 'Refused' }).waitFor();
    assert.match(await page.getByTestId('toast').innerText(), /blackout/);
    const after = (await stored(ctx)).items.find((i) => i.id === item.id);
    assert.equal(after.window_id, null, 'a refused drop changes nothing');
    await page.close();
  });

  test('a drop that needs a reason records it; undo puts the item back, redo places it again', async () => {
    const page = await openBoard(ctx);
    await weekOfDec14(page);
    const [item] = await qaBacklog(ctx);
    await page.locator(`[data-item-id="${item.id}"]`).dragTo(occ(page, 'Weekly Linux patching', TUESDAY));
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Ends \d+ years after the due date \d{4}-/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-confirm.png') });
    await dialog.getByLabel('Reason').fill('CAB 24 Nov: overdue since 2013, next Linux night');
    await dialog.getByRole('button', { name: 'Schedule anyway' }).click();
    await occ(page, 'Weekly Linux patching', TUESDAY).locator(`[data-item-id="${item.id}"]`).waitFor();
    let now = (await stored(ctx)).items.find((i) => i.id === item.id);
    assert.equal(now.occurrence_start, TUESDAY);
    const page2 = await ctx.bridge.invoke('item', { id: item.id });
    assert.ok(page2.detail.history.some((h) => h.reason?.startsWith('CAB 24 Nov: overdue since 2013, next Linux night')));

    await page.getByRole('button', { name: /Undo/ }).click();
    await page.locator(`.backlog [data-item-id="${item.id}"]`).waitFor();
    now = (await stored(ctx)).items.find((i) => i.id === item.id);
    assert.equal(now.window_id, null);
    assert.equal(now.state, 'backlog', 'undo restores the state the item had, not "proposed"');
    // Redo goes through the rules again: the conflict asks for its reason again.
    await page.keyboard.press('Control+Shift+Z');
    const again = page.getByRole('dialog');
    await again.waitFor();
    assert.match(await again.innerText(), /again\?[\s\S]*Ends \d+ years after the due date/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-redo-reason.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-board-redo-reason-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await again.getByLabel('Reason').fill('still the next Linux night');
    await again.getByRole('button', { name: 'Go ahead' }).click();
    await occ(page, 'Weekly Linux patching', TUESDAY).locator(`[data-item-id="${item.id}"]`).waitFor();
    now = (await stored(ctx)).items.find((i) => i.id === item.id);
    assert.equal(now.occurrence_start, TUESDAY);
    const page3 = await ctx.bridge.invoke('item', { id: item.id });
    assert.ok(page3.detail.history.some((h) => h.reason?.startsWith('still the next Linux night')));
    await page.close();
  });

  test('a multi-selection moves together, and back to the backlog by dragging it there', async () => {
    const page = await openBoard(ctx);
    await weekOfDec14(page);
    const [a, b] = await qaBacklog(ctx);
    await page.locator(`[data-item-id="${a.id}"]`).click();
    await page.locator(`[data-item-id="${b.id}"]`).click({ modifiers: ['Control'] });
    assert.equal(await page.locator('.backlog [aria-selected=true]').count(), 2);
    await page.locator(`[data-item-id="${b.id}"]`).dragTo(occ(page, 'Weekly Linux patching', TUESDAY));
    await page.getByRole('dialog').getByLabel('Reason').fill('both qa fixes in one night');
    await page.getByRole('button', { name: 'Schedule anyway' }).click();
    const tuesday = occ(page, 'Weekly Linux patching', TUESDAY);
    await tuesday.locator(`[data-item-id="${a.id}"]`).waitFor();
    await tuesday.locator(`[data-item-id="${b.id}"]`).waitFor();
    const placed = (await stored(ctx)).items.filter((i) => i.occurrence_start === TUESDAY).map((i) => i.id);
    assert.deepEqual(placed.sort(), [a.id, b.id].sort());
    await page.screenshot({ path: join(ctx.shots, 'browser-board-multi.png') });
    // One of them back to the backlog.
    await tuesday.locator(`[data-item-id="${a.id}"]`).click();
    await tuesday.locator(`[data-item-id="${a.id}"]`).dragTo(page.locator('.backlog .filters'));
    await page.locator(`.backlog [data-item-id="${a.id}"]`).waitFor();
    assert.equal((await stored(ctx)).items.find((i) => i.id === a.id).window_id, null);
    await page.close();
  });

  test('two items onto a window with room for one: the board offers to place the one that fits', async () => {
    const page = await ctx.page();
    // Room for one on the weekly Linux window (the demo sets no limit; its 15 Dec is empty).
    const w = (await ctx.bridge.invoke('windows', {})).find((x) => x.name === 'Weekly Linux patching');
    const keys = ['name', 'kind', 'description', 'time_zone', 'starts_local', 'duration_min', 'rrule', 'exrule', 'exdates', 'rdates', 'environments', 'asset_tags', 'teams', 'max_assets'];
    const spec = Object.fromEntries(keys.map((k) => [k, w[k] ?? null]));
    await ctx.bridge.invoke('save_window', { id: w.id, spec: { ...spec, max_items: 1 } });
    await page.getByRole('button', { name: 'Board', exact: true }).click();
    await page.locator('[data-item-id]').first().waitFor();
    await weekOfDec14(page);
    const [a, b] = await qaBacklog(ctx);
    await page.locator(`[data-item-id="${a.id}"]`).click();
    await page.locator(`[data-item-id="${b.id}"]`).click({ modifiers: ['Control'] });
    await page.locator(`[data-item-id="${b.id}"]`).dragTo(occ(page, 'Weekly Linux patching', TUESDAY));
    const offer = page.getByRole('dialog', { name: 'Only 1 of the 2 fits on' });
    await offer.waitFor();
    assert.match(await offer.innerText(), /takes at most 1 item; with this one it would hold 2/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-one-of-two.png') });
    await offer.getByRole('button', { name: 'Place the one that fits' }).click();
    // It is overdue like every demo item: the usual confirmation follows.
    await page.getByRole('dialog').getByLabel('Reason').fill('one tonight, the other next week');
    await page.getByRole('button', { name: 'Schedule anyway' }).click();
    const tuesday = occ(page, 'Weekly Linux patching', TUESDAY);
    await tuesday.locator(`[data-item-id="${a.id}"]`).waitFor();
    const placed = (await stored(ctx)).items.filter((i) => i.occurrence_start === TUESDAY).map((i) => i.id);
    assert.deepEqual(placed, [a.id], 'the first dropped fits; the second stays in the backlog');
    await page.close();
  });

  test('the auto-plan of a filtered board plans only the items the filters show', async () => {
    const page = await openBoard(ctx);
    await page.getByLabel('Environment', { exact: true }).selectOption('prod');
    const b = await stored(ctx);
    const shown = b.items.filter((i) => i.environment === 'prod' && i.window_id === null && !['done', 'verified'].includes(i.state));
    await page.getByTestId('backlog-count').filter({ hasText: `${shown.length} item` }).waitFor();
    await page.getByRole('button', { name: 'Auto-plan' }).click();
    const proposal = page.getByRole('complementary', { name: 'Auto-plan proposal' });
    await proposal.waitFor();
    assert.match(await page.getByTestId('toast').innerText(), new RegExp(`For the ${shown.length} items the filters show`));
    const expected = await ctx.bridge.invoke('auto_plan', { days: 120, among: shown.map((i) => i.id) });
    const ids = await proposal.locator('[data-proposal]').evaluateAll((els) => els.map((e) => e.getAttribute('data-proposal')));
    assert.deepEqual(ids.sort(), expected.placements.map((x) => x.item_id).sort());
    assert.ok(ids.length > 0 && ids.every((id) => shown.some((i) => i.id === id)), 'only prod items are proposed');
    await page.close();
  });

  test('filters narrow the backlog by text, severity, SLA, team and environment', async () => {
    const page = await openBoard(ctx);
    const b = await stored(ctx);
    const toPlan = b.items.filter((i) => i.window_id === null && !['done', 'verified'].includes(i.state));
    const count = () => page.getByTestId('backlog-count').innerText();
    const expect = (n) => `${n} ${n === 1 ? 'item' : 'items'} to plan`;
    await page.getByRole('button', { name: 'critical', exact: true }).click();
    assert.equal(await count(), expect(toPlan.filter((i) => i.severity === 'critical').length));
    await page.getByRole('button', { name: 'critical', exact: true }).click();
    const web = b.teams.find((t) => t.name === 'Web Platform');
    await page.getByLabel('Team').selectOption(web.id);
    assert.equal(await count(), expect(toPlan.filter((i) => i.team_id === web.id).length));
    await page.getByLabel('Team').selectOption('');
    await page.getByLabel('Environment').selectOption('qa');
    assert.equal(await count(), expect(toPlan.filter((i) => i.environment === 'qa').length));
    await page.getByLabel('Environment').selectOption('');
    const word = 'rdp';
    await page.getByLabel('Filter work items').fill(word);
    const byText = toPlan.filter((i) => `${i.title} ${i.action}`.toLowerCase().includes(word)).length;
    assert.ok(byText > 0 && byText < toPlan.length, `${byText} of ${toPlan.length} mention ${word}`);
    assert.equal(await count(), expect(byText));
    await page.getByLabel('Filter work items').fill('no-such-fix-anywhere');
    await page.getByText('No work item to plan matches.').waitFor();
    await page.getByLabel('Filter work items').fill('');
    await page.getByLabel('Group by').selectOption('team');
    assert.ok((await page.locator('.backlog .group').allInnerTexts()).some((t) => t.toLowerCase().startsWith('web platform')));
    await page.screenshot({ path: join(ctx.shots, 'browser-board-grouped.png') });
    await page.close();
  });

  test('the keyboard path: select with Space, M for "move to window", choose an occurrence', async () => {
    const page = await openBoard(ctx);
    await weekOfDec14(page);
    const [item] = await qaBacklog(ctx);
    await page.locator(`[data-item-id="${item.id}"]`).focus();
    await page.keyboard.press('Space');
    await page.keyboard.press('m');
    const dialog = page.getByRole('dialog');
    const target = dialog.locator(`[data-target$="@${TUESDAY}"]`);
    await target.waitFor();
    // Not only the week in view: the first Tuesday after the year-end freeze is offered too.
    await dialog.locator('[data-target$="@2027-01-12T21:00:00.000Z"]').waitFor();
    // Tuesdays inside the freeze are refused: hidden until asked for, then with the reason.
    const frozen = dialog.locator('[data-target$="@2026-12-22T21:00:00.000Z"]');
    assert.equal(await frozen.count(), 0);
    await dialog.getByLabel('show refused').check();
    assert.match(await frozen.innerText(), /refused[\s\S]*blackout/);
    await page.screenshot({ path: join(ctx.shots, 'browser-board-move-dialog.png') });
    await target.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByLabel('Reason').fill('keyboard only');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await occ(page, 'Weekly Linux patching', TUESDAY).locator(`[data-item-id="${item.id}"]`).waitFor();
    assert.equal((await stored(ctx)).items.find((i) => i.id === item.id).occurrence_start, TUESDAY);
    await page.close();
  });

  test('item detail, auto-plan ghosts, month and timeline views', async () => {
    const page = await openBoard(ctx);
    const [item] = await qaBacklog(ctx);
    await page.locator(`[data-item-id="${item.id}"] .title`).click();
    const drawer = page.getByRole('complementary', { name: 'Work item' });
    await drawer.getByTestId('item-state').filter({ hasText: 'backlog' }).waitFor();
    const detail = await ctx.bridge.invoke('item', { id: item.id });
    assert.equal(await drawer.locator('.findings li').count(), detail.detail.findings.length);
    await page.screenshot({ path: join(ctx.shots, 'browser-item-detail.png') });
    await drawer.getByLabel('Reason for the change').fill('not this quarter');
    await drawer.getByRole('button', { name: 'Defer' }).click();
    await drawer.getByTestId('item-state').filter({ hasText: 'deferred' }).waitFor();
    assert.equal((await ctx.bridge.invoke('item', { id: item.id })).detail.item.state, 'deferred');
    await drawer.getByRole('button', { name: 'Close' }).click();

    await page.getByRole('button', { name: 'Auto-plan' }).click();
    const proposal = page.getByRole('complementary', { name: 'Auto-plan proposal' });
    await proposal.waitFor();
    const expected = await ctx.bridge.invoke('auto_plan', { days: 120 });
    assert.equal(await proposal.locator('[data-proposal]').count(), expected.placements.length);
    await page.getByRole('button', { name: 'Next' }).click();
    await occ(page, 'Weekly Linux patching', '2026-12-01T21:00:00.000Z').locator('.ghost').first().waitFor();
    await page.screenshot({ path: join(ctx.shots, 'browser-board-autoplan.png') });
    if (expected.placements.length) {
      const first = expected.placements[0];
      await proposal.locator(`[data-proposal="${first.item_id}"]`).getByRole('button', { name: 'Accept' }).click();
      // The demo's items are years overdue: a late place is not accepted without a reason.
      await page.getByTestId('toast').filter({ hasText: 'Accepted: 0 scheduled; 1 need a reason' }).waitFor();
      assert.equal((await stored(ctx)).items.find((i) => i.id === first.item_id).window_id, null);
      const ask = page.getByRole('dialog', { name: 'One proposed place needs a reason' });
      assert.match(await ask.innerText(), /Ends \d+ years after the due date/);
      await page.screenshot({ path: join(ctx.shots, 'browser-autoplan-needs-reason.png') });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: join(ctx.shots, 'browser-autoplan-needs-reason-dark.png') });
      await page.emulateMedia({ colorScheme: 'light' });
      await ask.getByLabel('Reason for these places').fill('CAB 24 Nov: overdue, first free night');
      await ask.getByRole('button', { name: 'Schedule them with this reason' }).click();
      await page.getByTestId('toast').filter({ hasText: 'Accepted: 1 scheduled' }).waitFor();
      const why = (await ctx.bridge.invoke('item', { id: first.item_id })).detail.history.map((h) => h.reason ?? '');
      assert.ok(why.some((r) => r.startsWith('CAB 24 Nov: overdue, first free night')), JSON.stringify(why));
      assert.equal((await stored(ctx)).items.find((i) => i.id === first.item_id).occurrence_start, first.occurrence.start_utc);
    }
    await proposal.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('button', { name: 'Month' }).click();
    await page.getByTestId('board-range').filter({ hasText: '2026-11-30 – 2027-01-10' }).waitFor();
    await occ(page, 'Monthly prod web window', '2026-12-13T07:00:00.000Z').waitFor();
    await page.screenshot({ path: join(ctx.shots, 'browser-board-month.png') });
    await page.getByRole('button', { name: 'Timeline' }).click();
    await page.getByTestId('board-range').filter({ hasText: '2026-11-30 – 2027-01-03' }).waitFor();
    await occ(page, 'Monthly prod web window', '2026-12-13T07:00:00.000Z').waitFor();
    await page.screenshot({ path: join(ctx.shots, 'browser-board-timeline.png') });
    await page.getByLabel('Lanes').selectOption('team');
    // Team lanes hold the placed items (a report had them empty): the prod PHP upgrade is Web
    // Platform's, on the monthly window of 13 Dec.
    const chips = page.locator('.timeline .chip-item');
    await chips.first().waitFor();
    const placedHere = (await stored(ctx)).items.filter((i) => i.window_id && i.occurrence_start >= '2026-11-30' && i.occurrence_start < '2027-01-04');
    assert.equal(await chips.count(), placedHere.length);
    assert.ok(await page.locator('.timeline .chip-item[title$="— Monthly prod web window"]').count() >= 1);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-board-timeline-teams-dark.png') });
    await page.close();
  });

  test('on a 4K projector (1920x1080 at twice the pixels) the board fits, in the dark theme too', async () => {
    const page = await ctx.page({ width: 1920, height: 1080 }, { deviceScaleFactor: 2, colorScheme: 'dark' });
    await page.getByRole('button', { name: 'Board', exact: true }).click();
    await page.locator('[data-item-id]').first().waitFor();
    await weekOfDec14(page);
    const { scroll, inner } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth }));
    assert.ok(scroll <= inner, `the page scrolls sideways: ${scroll} > ${inner}`);
    // ui/src/app.css: --bg is #111418 when the OS prefers dark.
    const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, 'rgb(17, 20, 24)', 'dark theme follows the OS');
    await page.screenshot({ path: join(ctx.shots, 'browser-board-4k-dark.png') });
    await page.close();
  });
}
