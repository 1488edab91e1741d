// The Windows and Dashboard views, on the real core through the bridge.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, test } from '../lib/harness.mjs';

const row = (page, name) => page.locator('tr[data-window-id]').filter({ hasText: name });

async function openWindows(ctx, options) {
  const page = await ctx.page(undefined, options);
  await page.getByRole('button', { name: 'Windows' }).click();
  await row(page, 'Weekly Linux patching').waitFor();
  return page;
}

export function registerViewTests(ctx) {
  test('the Windows view lists the demo windows, the freeze set apart, rules in words', async () => {
    const page = await openWindows(ctx);
    assert.equal(await page.locator('tr[data-window-id]').count(), 3);
    // The demo's windows (crates/truce-core/src/demo.rs): Tuesdays 22:00 Berlin for 4 h on qa and staging...
    const linux = await row(page, 'Weekly Linux patching').innerText();
    // The demo sets no limit on it: a new workspace's default of 10 items applies.
    for (const s of ['Europe/Berlin', 'Tue 2026-12-01 22:00', '4 h', 'every Tuesday', 'qa, staging', '≤ 10 items (default)']) {
      assert.ok(linux.includes(s), `${s} in ${linux}`);
    }
    // ...the second Sunday of each month in New York, prod only...
    const web = await row(page, 'Monthly prod web window').innerText();
    for (const s of ['America/New_York', 'Sun 2026-12-13 02:00', '3 h', 'every month on the second Sunday', 'prod']) {
      assert.ok(web.includes(s), `${s} in ${web}`);
    }
    // ...and a 25-day freeze that happens once.
    const freeze = row(page, 'Year-end change freeze');
    assert.match(await freeze.innerText(), /freeze[\s\S]*25 days[\s\S]*once/i);
    assert.equal(await freeze.evaluate((el) => el.classList.contains('blackout')), true);
    assert.equal(await row(page, 'Weekly Linux patching').evaluate((el) => el.classList.contains('blackout')), false);
    await page.screenshot({ path: join(ctx.shots, 'browser-windows.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-windows-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    // The default is asked for where windows are made, and kept by the core.
    const defaults = page.getByRole('form', { name: 'Default capacity' });
    assert.equal(await defaults.getByLabel('Default items per occurrence').inputValue(), '10');
    await defaults.getByLabel('Default items per occurrence').fill('4');
    await defaults.getByRole('button', { name: 'Save' }).click();
    await row(page, 'Weekly Linux patching').filter({ hasText: '≤ 4 items (default)' }).waitFor();
    assert.deepEqual(await ctx.bridge.invoke('window_defaults', {}), { max_items: 4 });
    await page.close();
  });

  test('a new window previews its occurrences in its zone and the user\'s; the core stores what was typed', async () => {
    // The user sits in Tokyo (UTC+9 all year); the window is in New York, across the 2027 DST change.
    const page = await openWindows(ctx, { timezoneId: 'Asia/Tokyo' });
    await page.getByRole('button', { name: 'New window…' }).click();
    const form = page.getByRole('form', { name: 'New change window' });
    await form.getByLabel('Name').fill('Sunday DB patching');
    await form.getByLabel('Time zone').fill('Mars/Olympus_Mons');
    await form.getByLabel('First start').fill('2027-02-28T01:30');
    await form.getByLabel('Duration (minutes)').fill('120');
    // A bad zone: the core's message beside the form, and nothing saved.
    await page.getByTestId('preview-error').filter({ hasText: 'not an IANA time zone' }).waitFor();
    await form.getByRole('button', { name: 'Create window' }).click();
    await page.getByTestId('save-error').filter({ hasText: 'Mars/Olympus_Mons' }).waitFor();
    assert.equal((await ctx.bridge.invoke('windows', null)).length, 3);

    await form.getByLabel('Time zone').fill('America/New_York');
    await form.getByLabel('Frequency').selectOption('weekly');
    // The form starts on Tuesdays; make it Sundays only.
    await form.getByRole('button', { name: 'Tue', exact: true }).click();
    await form.getByRole('button', { name: 'Sun', exact: true }).click();
    await form.getByLabel('Except on (EXDATE)').fill('20270307T013000');
    await form.getByLabel('Environments').fill('db, qa');
    await form.getByLabel('Max items').fill('3');
    await form.getByTestId('rrule-text').filter({ hasText: 'RRULE:FREQ=WEEKLY;BYDAY=SU' }).waitFor();

    // By hand: Sundays from 28 Feb 2027 at 01:30 New York, 7 March excepted. New York is UTC-5
    // until 14 March 2027 02:00 (second Sunday of March), so 01:30 that day is still EST; from
    // 21 March it is UTC-4. Tokyo is UTC+9: 06:30Z is 15:30 there, 05:30Z is 14:30. Two hours
    // are two elapsed hours: on 14 March the clocks jump 02:00 -> 03:00, so that window ends at 04:30.
    const expected = [
      ['2027-02-28', '06:30', '15:30', '03:30'], ['2027-03-14', '06:30', '15:30', '04:30'],
      ['2027-03-21', '05:30', '14:30', '03:30'], ['2027-03-28', '05:30', '14:30', '03:30'],
      ['2027-04-04', '05:30', '14:30', '03:30'], ['2027-04-11', '05:30', '14:30', '03:30'],
      ['2027-04-18', '05:30', '14:30', '03:30'], ['2027-04-25', '05:30', '14:30', '03:30'],
    ];
    await page.waitForFunction(
      (first) => document.querySelectorAll('[data-testid=preview-row]').length === 8 &&
        document.querySelector('[data-testid=preview-row]')?.getAttribute('data-start-utc') === first,
      `${expected[0][0]}T${expected[0][1]}:00.000Z`,
    );
    const rows = page.getByTestId('preview-row');
    for (const [i, [date, utc, tokyo, end]] of expected.entries()) {
      const r = rows.nth(i);
      assert.equal(await r.getAttribute('data-start-utc'), `${date}T${utc}:00.000Z`);
      assert.match(await r.locator('.zone-time').innerText(), new RegExp(`^Sun ${date} 01:30 – ${end}`));
      assert.match(await r.locator('.user-time').innerText(), new RegExp(`^Sun ${date} ${tokyo} `));
    }
    await page.screenshot({ path: join(ctx.shots, 'browser-window-editor.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-window-editor-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });

    await form.getByRole('button', { name: 'Create window' }).click();
    await row(page, 'Sunday DB patching').waitFor();
    assert.match(await row(page, 'Sunday DB patching').innerText(), /America\/New_York[\s\S]*Sun 2027-02-28 01:30[\s\S]*2 h[\s\S]*every Sunday[\s\S]*db, qa[\s\S]*3 items/);
    const stored = (await ctx.bridge.invoke('windows', null)).find((w) => w.name === 'Sunday DB patching');
    assert.deepEqual(
      [stored.kind, stored.time_zone, stored.starts_local, stored.duration_min, stored.rrule, stored.exdates, stored.environments, stored.max_items, stored.max_assets],
      ['maintenance', 'America/New_York', '2027-02-28T01:30:00', 120, 'FREQ=WEEKLY;BYDAY=SU', '20270307T013000', ['db', 'qa'], 3, null],
    );

    // Deleting asks first; keeping it changes nothing, confirming removes it from the core.
    await page.getByRole('button', { name: 'Delete Sunday DB patching' }).click();
    await row(page, 'Sunday DB patching').getByRole('button', { name: 'Keep' }).click();
    assert.equal((await ctx.bridge.invoke('windows', null)).length, 4);
    await page.getByRole('button', { name: 'Delete Sunday DB patching' }).click();
    await row(page, 'Sunday DB patching').getByRole('button', { name: 'Delete', exact: true }).click();
    await row(page, 'Sunday DB patching').waitFor({ state: 'detached' });
    assert.equal((await ctx.bridge.invoke('windows', null)).some((w) => w.name === 'Sunday DB patching'), false);
    await page.close();
  });

  test('a window with scheduled items is not deleted, and the core says why', async () => {
    const page = await openWindows(ctx);
    await page.getByRole('button', { name: 'Delete Weekly Linux patching' }).click();
    await row(page, 'Weekly Linux patching').getByRole('button', { name: 'Delete', exact: true }).click();
    const error = page.getByTestId('delete-error');
    await error.waitFor();
    // The demo schedules two qa items on its first two Tuesdays.
    assert.match(await error.innerText(), /Weekly Linux patching.*2 item\(s\) scheduled/);
    assert.equal((await ctx.bridge.invoke('windows', null)).length, 3);
    assert.equal(await row(page, 'Weekly Linux patching').count(), 1);
    await page.screenshot({ path: join(ctx.shots, 'browser-window-delete-refused.png') });
    await page.close();
  });

  test('editing a window: the monthly form reads the stored rule, a bad RRULE is refused, a change that strands an item is refused, the change is stored', async () => {
    const page = await openWindows(ctx);
    await page.getByRole('button', { name: 'Edit Monthly prod web window' }).click();
    const form = page.getByRole('form', { name: 'Edit change window' });
    assert.equal(await form.getByLabel('Frequency').inputValue(), 'monthly');
    assert.equal(await form.getByLabel('Which weekday of the month').inputValue(), '2');
    assert.equal(await form.getByLabel('Weekday', { exact: true }).inputValue(), 'SU');
    await form.getByLabel('Frequency').selectOption('raw');
    await form.getByRole('textbox', { name: 'RRULE' }).fill('FREQ=SOMETIMES');
    await page.getByTestId('preview-error').waitFor();
    await form.getByRole('button', { name: 'Save changes' }).click();
    await page.getByTestId('save-error').waitFor();
    const before = (await ctx.bridge.invoke('windows', null)).find((w) => w.name === 'Monthly prod web window');
    assert.equal(before.rrule, 'FREQ=MONTHLY;BYDAY=2SU');

    await form.getByLabel('Frequency').selectOption('monthly');
    await form.getByLabel('Which weekday of the month').selectOption('-1');
    await form.getByLabel('Weekday', { exact: true }).selectOption('SA');
    // The last Saturdays at 02:00 New York (UTC-5 in winter): 26 Dec 2026, 30 Jan 2027 -> 07:00Z.
    await page.locator('[data-testid=preview-row][data-start-utc="2026-12-26T07:00:00.000Z"]').waitFor();
    await page.locator('[data-testid=preview-row][data-start-utc="2027-01-30T07:00:00.000Z"]').waitFor();
    // The demo schedules its critical prod item on the second Sunday of December (13 Dec 02:00
    // New York = 07:00Z): the last Saturdays would leave it on no occurrence, so the core refuses.
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    const web = (await ctx.bridge.invoke('windows', null)).find((w) => w.name === 'Monthly prod web window');
    const placed = board.items.filter((i) => i.window_id === web.id);
    assert.equal(placed.length, 1);
    await form.getByRole('button', { name: 'Save changes' }).click();
    const refused = page.getByTestId('save-error').filter({ hasText: 'move them first' });
    await refused.waitFor();
    const said = await refused.innerText();
    assert.ok(said.includes('Sun 2026-12-13 02:00 America/New_York (2026-12-13 07:00 UTC)'), said);
    assert.ok(said.includes(`“${placed[0].title}”`), said);
    await page.screenshot({ path: join(ctx.shots, 'browser-window-edit-refused.png') });
    const still = (await ctx.bridge.invoke('windows', null)).find((w) => w.name === 'Monthly prod web window');
    assert.equal(still.rrule, 'FREQ=MONTHLY;BYDAY=2SU');
    // Back to the backlog with it, and the same change is stored.
    await ctx.bridge.invoke('unschedule', { items: [placed[0].id], reason: 'the web window moves to last Saturdays' });
    await form.getByRole('button', { name: 'Save changes' }).click();
    await row(page, 'Monthly prod web window').filter({ hasText: 'every month on the last Saturday' }).waitFor();
    const after = (await ctx.bridge.invoke('windows', null)).find((w) => w.name === 'Monthly prod web window');
    assert.equal(after.rrule, 'FREQ=MONTHLY;BYDAY=-1SA');
    await page.close();
  });

  test('importing an iCalendar file shows what it changed; importing it again changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'truce-ics-'));
    const file = join(dir, 'cab.ics');
    writeFileSync(file, [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//CAB//EN',
      'BEGIN:VEVENT', 'UID:db-nights@example.com', 'SUMMARY:DB patch night',
      'DTSTART;TZID=Europe/London:20270105T200000', 'DTEND;TZID=Europe/London:20270105T230000',
      'RRULE:FREQ=WEEKLY;BYDAY=TU', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:easter-freeze@example.com', 'SUMMARY:Easter change freeze',
      'DTSTART;VALUE=DATE:20270326', 'DTEND;VALUE=DATE:20270330', 'END:VEVENT',
      'END:VCALENDAR', '',
    ].join('\r\n'));
    const page = await openWindows(ctx);
    await page.getByLabel('iCalendar file or URL').fill(file);
    await page.getByRole('button', { name: 'Import calendar' }).click();
    const report = page.getByTestId('import-report');
    await report.filter({ hasText: '2 created' }).waitFor();
    assert.match(await report.innerText(), /2 created, 0 updated, 0 removed, 0 unchanged/);
    assert.match(await row(page, 'DB patch night').innerText(), /Europe\/London[\s\S]*Tue 2027-01-05 20:00[\s\S]*3 h[\s\S]*every Tuesday/);
    assert.match(await row(page, 'Easter change freeze').innerText(), /freeze[\s\S]*4 days/);
    assert.equal(await row(page, 'Easter change freeze').evaluate((el) => el.classList.contains('blackout')), true);
    await page.screenshot({ path: join(ctx.shots, 'browser-windows-import.png') });
    await page.getByRole('button', { name: 'Import calendar' }).click();
    await report.filter({ hasText: '2 unchanged' }).waitFor();
    assert.equal((await ctx.bridge.invoke('windows', null)).length, 5);
    await page.getByLabel('iCalendar file or URL').fill(join(dir, 'missing.ics'));
    await page.getByRole('button', { name: 'Import calendar' }).click();
    await page.getByTestId('import-error').filter({ hasText: 'missing.ics' }).waitFor();
    await page.close();
  });

  test('a calendar URL from a slow server shows that it is downloading, with a Cancel, then what it imported', async () => {
    const feed = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Test//Ops//EN',
      'BEGIN:VEVENT', 'UID:sat-maint@example.com', 'SUMMARY:Saturday maintenance',
      'DTSTART;TZID=America/Chicago:20270109T060000', 'DTEND;TZID=America/Chicago:20270109T100000',
      'RRULE:FREQ=WEEKLY;BYDAY=SA', 'END:VEVENT', 'END:VCALENDAR', '',
    ].join('\r\n');
    // Loopback only: the feed in five pieces, 400 ms apart.
    const server = createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/calendar', 'Content-Length': Buffer.byteLength(feed) });
      const pieces = feed.match(/[\s\S]{1,60}/g);
      let i = 0;
      const next = () => (i < pieces.length ? (res.write(pieces[i++]), setTimeout(next, 400)) : res.end());
      setTimeout(next, 400);
    });
    await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${server.address().port}/ops.ics`;
    try {
      for (const scheme of ['light', 'dark']) {
        const page = await openWindows(ctx, { colorScheme: scheme });
        await page.getByLabel('iCalendar file or URL').fill(url);
        await page.getByRole('button', { name: 'Import calendar' }).click();
        const status = page.getByTestId('download');
        await status.waitFor();
        assert.match(await status.innerText(), new RegExp(`Downloading ${url.replace(/[.]/g, '\\.')}: (\\d|waiting for the server…)`));
        assert.ok(await status.getByRole('button', { name: 'Cancel' }).isVisible());
        assert.ok(await page.getByRole('button', { name: 'Downloading…' }).isDisabled());
        await page.screenshot({ path: join(ctx.shots, `browser-windows-downloading-${scheme}.png`) });
        const report = page.getByTestId('import-report');
        await report.waitFor({ timeout: 15000 });
        assert.match(await report.innerText(), new RegExp(`${url.replace(/[.]/g, '\\.')}:\\s+(1 created|0 created, 0 updated, 0 removed, 1 unchanged)`));
        assert.equal(await status.count(), 0, 'the download line goes when it is done');
        assert.match(await row(page, 'Saturday maintenance').innerText(), /America\/Chicago[\s\S]*Sat 2027-01-09 06:00/);
        await page.close();
      }
    } finally {
      server.close();
    }
  });

  test('the dashboard shows the demo teams, its SLA state and the burn-down of the plan, drawn on canvases', async () => {
    const page = await ctx.page();
    await page.getByRole('button', { name: 'Dashboard' }).click();
    const teams = page.locator('tr[data-team]');
    await teams.first().waitFor();
    assert.deepEqual((await teams.evaluateAll((rs) => rs.map((r) => r.dataset.team))).sort(), ['Linux Ops', 'Web Platform']);
    // What the core stores for each team, shown as it is.
    const stored = await ctx.bridge.invoke('dashboard', { weeks: 12 });
    for (const t of stored.metrics.open_risk_by_team) {
      const cells = await page.locator(`tr[data-team="${t.team}"] td`).allInnerTexts();
      assert.deepEqual(cells, [t.team, String(t.open_findings), String(t.breached_items), String(t.at_risk_items)]);
    }
    // The demo's scans are from 2013: nothing fixed with an SLA yet, every open item overdue.
    assert.equal(stored.metrics.sla_compliance, null);
    assert.match(await page.locator('[data-metric="sla"]').innerText(), /—[\s\S]*No finding with an SLA has been fixed yet/);
    assert.match(await page.locator('[data-metric="open"]').innerText(), /all past their due date/);
    // The plan puts items on the December occurrences, so the risk falls from the first week to the last.
    const [first, last] = [stored.forecast[0], stored.forecast.at(-1)];
    assert.ok(last.open_risk < first.open_risk, JSON.stringify([first, last]));
    assert.match(await page.locator('[data-metric="burn"]').innerText(), new RegExp(`${first.open_risk} → ${last.open_risk}`));
    // Both charts are drawn: canvases with a size and non-blank pixels.
    const canvases = page.locator('section[aria-label="Dashboard"] canvas');
    assert.equal(await canvases.count(), 2);
    for (const c of await canvases.all()) {
      const drawn = await c.evaluate((el) => {
        const g = el.getContext('2d');
        const px = g.getImageData(0, 0, el.width, el.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
        return { w: el.width, h: el.height, n };
      });
      assert.ok(drawn.w > 200 && drawn.h > 100 && drawn.n > 1000, JSON.stringify(drawn));
    }
    await page.screenshot({ path: join(ctx.shots, 'browser-dashboard.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForTimeout(100);
    await page.screenshot({ path: join(ctx.shots, 'browser-dashboard-dark.png') });
    // A longer horizon asks the core again.
    await page.getByLabel('Weeks ahead').selectOption('26');
    await page.waitForFunction(() => window.__calls.some((c) => c.cmd === 'dashboard' && c.args.weeks === 26));
    await page.close();
  });
}
