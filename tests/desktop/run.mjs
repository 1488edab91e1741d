// The real desktop app (debug build) in a real WebKit window under Xvfb, driven through
// tauri-driver and WebKitWebDriver. Run it inside xvfb-run (see `make test-desktop`).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';
import { assert, runAll, test, waitForPort } from '../lib/harness.mjs';
import { dojo, TOKEN } from '../browser/sources.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const app = join(targetDir, 'debug/truce-app');
const shots = join(root, 'tests/out/screenshots');
mkdirSync(shots, { recursive: true });
const home = mkdtempSync(join(tmpdir(), 'truce-desktop-'));
const env = { ...process.env, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), TRUCE_CONFIG_DIR: join(home, 'config/truce') };
delete env.TRUCE_WORKSPACE;
// The demo's windows are in December 2026: plan as of a fixed day before them.
env.TRUCE_NOW = '2026-11-24T09:00:00Z';
const demoFile = join(home, 'data/truce/demo.truce');
const PORT = 4444;
let driver;

async function launch(args = []) {
  const session = () =>
    remote({
      hostname: '127.0.0.1',
      port: PORT,
      logLevel: 'error',
      capabilities: { 'tauri:options': { application: app, args } },
    });
  try {
    return await session();
  } catch (e) {
    // Seen once in CI: GTK could not open the Xvfb display ("Failed to initialize GTK") and the
    // session never started. Starting the app is not what a test checks: try once more, said aloud.
    console.error(`desktop: the app did not start (${String(e.message ?? e).slice(0, 160)}); starting it again`);
    return session();
  }
}

// textContent, not getText: WebKitWebDriver's visible-text atom drops the text of
// `overflow: hidden` cells, which the findings table uses for ellipsis.
async function textOf(b, selector, timeout = 15000) {
  const el = await b.$(selector);
  await el.waitForDisplayed({ timeout });
  return (await el.getProperty('textContent')).trim();
}

/** The whole X screen, window decorations and menu bar included. */
function screenGrab(name) {
  try {
    execFileSync('import', ['-window', 'root', join(shots, name)], { env: process.env, stdio: 'ignore' });
  } catch {
    /* ImageMagick missing: the WebDriver screenshot still exists */
  }
}

test('first launch shows the welcome screen; "Open demo workspace" shows real findings', async () => {
  const b = await launch();
  try {
    const button = await b.$('button=Open demo workspace');
    await button.waitForDisplayed({ timeout: 20000 });
    await b.saveScreenshot(join(shots, 'desktop-welcome.png'));
    await button.click();
    assert.equal(await textOf(b, '[data-count="assets"] .n'), '9');
    assert.equal(await textOf(b, '[data-count="open-findings"] .n'), '351');
    await b.waitUntil(async () => (await textOf(b, '[data-testid="findings-count"]')) === '351 findings', {
      timeout: 10000,
      timeoutMsg: 'findings count never showed 351',
    });
    await b.pause(500);
    await b.saveScreenshot(join(shots, 'desktop-overview.png'));
    screenGrab('desktop-screen.png');
    const first = await textOf(b, '[data-finding-id]');
    assert.match(first, /PHP Unsupported Version Detection/);
    assert.match(first, /testphp\.vulnweb\.com/);
    assert.equal(await b.getTitle(), 'demo — Truce');
    assert.ok(existsSync(demoFile), `demo workspace written to ${demoFile}`);
  } finally {
    await b.deleteSession();
  }
});

test('the next launch reopens the last workspace', async () => {
  const b = await launch();
  try {
    assert.equal(await textOf(b, '[data-count="assets"] .n', 20000), '9');
    assert.match(await textOf(b, 'header .path'), /demo\.truce$/);
  } finally {
    await b.deleteSession();
  }
});

test('a report imported through the app (the drop/dialog path) shows its summary', async () => {
  const b = await launch();
  try {
    assert.equal(await textOf(b, '[data-count="assets"] .n', 20000), '9');
    // Same host, scan time and plugin (31649 on 80/tcp) as the demo's nessus_with_cvssv3: nothing new.
    const file = join(root, 'tests/corpus/scans/tenable/nessus/nessus_with_cwe-.nessus');
    const outcomes = await b.executeAsync((f, done) => {
      window.__TAURI_INTERNALS__.invoke('import_files', { paths: [f] }).then(done, (e) => done(String(e)));
    }, file);
    assert.equal(outcomes[0]?.report?.unchanged, 1, JSON.stringify(outcomes));
    const text = (await textOf(b, '[data-testid="import-outcome"]')).replace(/\s+/g, ' ');
    assert.match(text, /nessus_with_cwe-\.nessus/);
    assert.match(text, /1 asset, 1 finding: 0 new, 0 closed, 0 reopened, 1 unchanged/);
    assert.match(await textOf(b, 'ul.imports li'), /nessus_with_cwe-\.nessus/);
    await b.pause(300);
    await b.saveScreenshot(join(shots, 'desktop-import.png'));
  } finally {
    await b.deleteSession();
  }
});

/** The app's own backend, called from the page the way the UI calls it. */
async function invoke(b, cmd, args) {
  const r = await b.executeAsync((c, a, done) => {
    window.__TAURI_INTERNALS__.invoke(c, a).then((v) => done({ ok: v }), (e) => done({ error: e?.message ?? String(e) }));
  }, cmd, args);
  if (r.error !== undefined) throw new Error(r.error);
  return r.ok;
}

// The demo's "Weekly Linux patching": Tuesdays 22:00 Europe/Berlin, 21:00 UTC in December.
const TUESDAY = '2026-12-15T21:00:00.000Z';

async function boardOnWeekOfDec14(b) {
  await (await b.$('button=Board')).click();
  await (await b.$('[data-item-id]')).waitForDisplayed({ timeout: 20000 });
  for (let i = 0; i < 3; i++) await (await b.$('button[aria-label="Next"]')).click();
  await (await b.$(`[data-occurrence$="@${TUESDAY}"]`)).waitForDisplayed({ timeout: 10000 });
}

test('the keyboard path schedules a work item, and after a restart it is still scheduled', async () => {
  let b = await launch();
  let item;
  try {
    await boardOnWeekOfDec14(b);
    const board = await invoke(b, 'board', { from: '2026-11-23', to: '2027-01-31' });
    item = board.items.find((i) => i.environment === 'qa' && i.window_id === null && i.state === 'backlog');
    assert.ok(item, 'a qa item in the backlog');
    // Select with Space, "M" for move, Enter on the Tuesday, a reason, confirm: no mouse.
    await b.execute((id) => document.querySelector(`[data-item-id="${id}"]`).focus(), item.id);
    await b.keys(' ');
    await b.keys('m');
    const target = await b.$(`[data-target$="@${TUESDAY}"]`);
    await target.waitForDisplayed({ timeout: 10000 });
    await b.execute((t) => document.querySelector(`[data-target$="@${t}"]`).focus(), TUESDAY);
    await b.keys('Enter');
    const reason = await b.$('textarea[aria-label="Reason"]');
    await reason.waitForDisplayed({ timeout: 10000 });
    await reason.setValue('desktop: keyboard only');
    await b.keys('Tab');
    await b.keys('Tab');
    await b.keys('Enter');
    await (await b.$(`[data-occurrence$="@${TUESDAY}"] [data-item-id="${item.id}"]`)).waitForDisplayed({ timeout: 10000 });
    await b.saveScreenshot(join(shots, 'desktop-board-scheduled.png'));
  } finally {
    await b.deleteSession();
  }
  b = await launch();
  try {
    await boardOnWeekOfDec14(b);
    await (await b.$(`[data-occurrence$="@${TUESDAY}"] [data-item-id="${item.id}"]`)).waitForDisplayed({ timeout: 10000 });
    const detail = await invoke(b, 'item', { id: item.id });
    assert.equal(detail.detail.item.occurrence_start, TUESDAY);
    assert.ok(detail.detail.history.some((h) => h.reason?.startsWith('desktop: keyboard only')), JSON.stringify(detail.detail.history));
  } finally {
    await b.deleteSession();
  }
});

test('a Trivy report imported through the app shows its package upgrades on the board', async () => {
  const file = join(root, 'tests/corpus/scans/trivy/cvss_severity_source.json');
  const { readFileSync } = await import('node:fs');
  // What the report asks for: one upgrade per package to its fixed version.
  const vulns = JSON.parse(readFileSync(file, 'utf8')).Results.flatMap((r) => r.Vulnerabilities ?? []);
  assert.ok(vulns.length >= 2);
  const b = await launch();
  try {
    const outcomes = await invoke(b, 'import_files', { paths: [file] });
    assert.equal(outcomes[0]?.error, null, JSON.stringify(outcomes));
    await (await b.$('button=Board')).click();
    const filter = await b.$('input[aria-label="Filter work items"]');
    await filter.waitForDisplayed({ timeout: 20000 });
    for (const v of vulns) {
      await filter.setValue(`${v.PkgName} ${v.FixedVersion}`);
      await b.waitUntil(async () => (await textOf(b, '[data-testid="backlog-count"]')) === '1 item to plan', { timeout: 10000 });
      const card = await textOf(b, '.backlog [data-item-id]');
      assert.ok(card.includes(`Upgrade ${v.PkgName} to ${v.FixedVersion}`), card);
    }
    await b.saveScreenshot(join(shots, 'desktop-board-imported.png'));
  } finally {
    await b.deleteSession();
  }
});

/** Keys to whatever X window has the focus: the GTK menu and file chooser, which WebDriver cannot reach. */
function xkeys(...args) {
  execFileSync('xdotool', args, { env: process.env, stdio: 'ignore' });
}

const truce = join(targetDir, 'debug/truce');
function cli(workspace, ...args) {
  return execFileSync(truce, ['--workspace', workspace, ...args], { env, encoding: 'utf8' });
}

// File › New Workspace… leaves GTK's file chooser watching the folder: it opens and closes every
// new file there (the workspace, its log) to guess their type, which used to drop SQLite's locks
// for the whole app; the next CLI then deleted the log the app was still writing into.
test('File › New Workspace…, then the app and the CLI write in turns: every write survives a restart', async () => {
  const folder = mkdtempSync(join(home, 'shared-'));
  const file = join(folder, 'team.truce');
  const report = join(root, 'crates/truce-core/demo/nessus_many_vuln.nessus');
  let b = await launch();
  const made = { teams: [], windows: [] };
  try {
    await (await b.$('h1')).waitForDisplayed({ timeout: 20000 });
    // The menu's accelerator goes to the focused window: focus the app's, then wait for GTK's
    // save dialog and type into it. Tried up to three times (a keystroke can land before the
    // dialog has the focus).
    let opened = false;
    for (let attempt = 0; attempt < 3 && !opened; attempt++) {
      // Xvfb has no window manager: focus is set directly (windowfocus), not "activated".
      try {
        xkeys('search', '--onlyvisible', '--name', 'Truce', 'windowfocus');
      } catch {
        /* the keystroke may still reach it */
      }
      xkeys('key', '--clearmodifiers', 'ctrl+n');
      try {
        execFileSync('xdotool', ['search', '--sync', '--onlyvisible', '--name', 'Save', 'windowfocus'], { timeout: 5000 });
      } catch {
        continue;
      }
      await b.pause(700);
      xkeys('key', 'ctrl+a');
      xkeys('type', '--delay', '5', file);
      await b.pause(200);
      xkeys('key', 'Return');
      opened = await b
        .waitUntil(async () => (await textOf(b, 'header .path')).endsWith('team.truce'), { timeout: 8000 })
        .then(() => true, () => false);
    }
    assert.ok(opened, 'the new workspace never opened');
    const outcomes = await invoke(b, 'import_files', { paths: [report] });
    assert.equal(outcomes[0]?.error, null, JSON.stringify(outcomes));
    for (let turn = 0; turn < 3; turn++) {
      await b.pause(300); // let the chooser's folder watch see the log and sniff it
      cli(file, 'teams', 'add', `cli-${turn}`);
      made.teams.push(`cli-${turn}`);
      assert.ok(existsSync(`${file}-wal`), `turn ${turn}: the CLI removed the log the app writes into`);
      const name = `app window ${turn}`;
      await invoke(b, 'save_window', {
        id: null,
        spec: { name, kind: 'maintenance', time_zone: 'Europe/Berlin', starts_local: '2026-12-15T22:00:00', duration_min: 120 },
      });
      made.windows.push(name);
    }
    assert.equal((await invoke(b, 'windows', {})).length, 3);
  } finally {
    await b.deleteSession();
  }
  const status = JSON.parse(cli(file, 'status', '--json'));
  assert.equal(status.change_windows, 3, JSON.stringify(status));
  assert.ok(status.findings > 0, 'the import in the app survived');
  const teams = cli(file, 'teams', 'list');
  for (const t of made.teams) assert.match(teams, new RegExp(`\\b${t}\\b`));
  b = await launch();
  try {
    assert.match(await textOf(b, 'header .path', 20000), /team\.truce$/);
    assert.equal(await textOf(b, '[data-count="change-windows"] .n'), '3');
    assert.equal(await textOf(b, '[data-count="assets"] .n'), String(status.assets));
    const names = (await invoke(b, 'windows', {})).map((w) => w.name).sort();
    assert.deepEqual(names, made.windows);
  } finally {
    await b.deleteSession();
  }
});

/** Signs in as the person whose entry in the header's menu starts with `name`. */
async function signIn(b, name) {
  await b.execute((n) => {
    const s = document.querySelector('select[aria-label="Signed in as"]');
    const o = [...s.options].find((x) => x.textContent.startsWith(n));
    s.value = o.value;
    s.dispatchEvent(new Event('change', { bubbles: true }));
  }, name);
  await b.waitUntil(
    async () => (await b.execute(() => document.querySelector('select[aria-label="Signed in as"]')?.selectedOptions[0]?.textContent ?? '')).startsWith(name),
    { timeout: 10000, timeoutMsg: `never signed in as ${name}` },
  );
}

/** Opens an item's page from its card: in the backlog, or on the week of its occurrence. */
async function openItem(b, id) {
  const close = await b.$('aside[aria-label="Work item"] button[aria-label="Close"]');
  if (await close.isExisting()) await close.click();
  const page = await invoke(b, 'item', { id });
  await (await b.$('button=Today')).click();
  const start = page.detail.item.occurrence_start;
  // The desktop clock stands on Tue 24 Nov 2026; the week shown starts Mon 23 Nov.
  const weeks = start ? Math.floor((Date.parse(start) - Date.parse('2026-11-23T00:00:00Z')) / (7 * 864e5)) : 0;
  for (let i = 0; i < weeks; i++) await (await b.$('button[aria-label="Next"]')).click();
  if (!start) {
    const filter = await b.$('input[aria-label="Filter work items"]');
    await filter.setValue(page.detail.item.title);
  }
  const title = await b.$(`[data-item-id="${id}"] .title`);
  await title.waitForDisplayed({ timeout: 10000 });
  await title.click();
  const state = await b.$('aside[aria-label="Work item"] [data-testid="item-state"]');
  await state.waitForDisplayed({ timeout: 10000 });
  return b.$('aside[aria-label="Work item"]');
}

// Issue 11's three users, one after another on one laptop: ops imports and plans and promises,
// security asks for an exception, the CAB chair decides it and approves the change.
test('the three users\' jobs end to end: import, plan, commit, exception asked and approved, change approved', async () => {
  const b = await launch(['--demo']);
  try {
    await (await b.$('h1')).waitForDisplayed({ timeout: 20000 });
    assert.equal(await textOf(b, '.who label span'), 'Who are you?', 'the demo has people but nobody signed in here');
    await signIn(b, 'Dana Ops');
    const trivy = join(root, 'tests/corpus/scans/trivy/cvss_severity_source.json');
    const outcomes = await invoke(b, 'import_files', { paths: [trivy] });
    assert.equal(outcomes[0]?.error, null, JSON.stringify(outcomes));

    // Ops: auto-plan, accept the first proposal with a reason (every demo item is overdue).
    await (await b.$('button=Board')).click();
    await (await b.$('[data-item-id]')).waitForDisplayed({ timeout: 20000 });
    await (await b.$('button=Auto-plan')).click();
    const first = await b.$('aside[aria-label="Auto-plan proposal"] [data-proposal]');
    await first.waitForDisplayed({ timeout: 20000 });
    const planned = await first.getAttribute('data-proposal');
    await (await first.$('button=Accept')).click();
    const reason = await b.$('textarea[aria-label="Reason for these places"]');
    await reason.waitForDisplayed({ timeout: 10000 });
    await reason.setValue('ops: first free night, overdue since the scan');
    await (await b.$('button=Schedule them with this reason')).click();
    await b.waitUntil(async () => (await invoke(b, 'item', { id: planned })).detail.item.state === 'scheduled', { timeout: 10000 });
    await (await (await b.$('aside[aria-label="Auto-plan proposal"]')).$('button=Close')).click();
    let drawer = await openItem(b, planned);
    await (await drawer.$('input[aria-label="Promise"]')).setValue('patched and rebooted that night');
    await (await drawer.$('button*=Commit as')).click();
    await b.waitUntil(async () => (await invoke(b, 'item', { id: planned })).detail.commitments.some((c) => c.state === 'open'), { timeout: 10000 });
    // Promised: the page offers no second promise for the same occurrence.
    await b.waitUntil(async () => !(await (await drawer.$('input[aria-label="Promise"]')).isExisting()), { timeout: 10000, timeoutMsg: 'the promise form stayed' });
    await b.saveScreenshot(join(shots, 'desktop-journey-ops-committed.png'));

    // Security: an exception on a waiting item.
    await signIn(b, 'Sam Sec');
    const board = await invoke(b, 'board', { from: '2026-11-23', to: '2027-01-31' });
    const waiting = board.items.find((i) => i.environment === 'qa' && i.state === 'backlog' && i.id !== planned);
    drawer = await openItem(b, waiting.id);
    await (await drawer.$('input[aria-label="Justification"]')).setValue('legacy RDP gateway, replaced in January');
    await (await drawer.$('input[aria-label="Compensating control"]')).setValue('reachable from the jump host only');
    await b.execute(() => {
      const d = document.querySelector('input[aria-label="Expires"]');
      d.value = '2026-12-20';
      d.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await (await drawer.$('button=Request exception')).click();
    await (await drawer.$('[data-exception="requested"]')).waitForDisplayed({ timeout: 10000 });
    await b.saveScreenshot(join(shots, 'desktop-journey-exception-requested.png'));

    // The CAB chair: decides the exception, then approves the change ops scheduled.
    await signIn(b, 'Carla CAB');
    drawer = await openItem(b, waiting.id);
    await (await drawer.$('input[aria-label="Reason for the decision"]')).setValue('CAB 24 Nov: accepted until the gateway goes');
    await (await drawer.$('button=Approve exception')).click();
    await (await drawer.$('[data-exception="approved"]')).waitForDisplayed({ timeout: 10000 });
    drawer = await openItem(b, planned);
    await (await drawer.$('input[aria-label="Reason for the change"]')).setValue('CAB 24 Nov: approved');
    await (await drawer.$('button=Approve')).click();
    await b.waitUntil(async () => (await invoke(b, 'item', { id: planned })).detail.item.state === 'approved', { timeout: 10000, timeoutMsg: 'the change was never approved' });
    await b.saveScreenshot(join(shots, 'desktop-journey-approved-1280.png'));
    await b.setWindowSize(1024, 700);
    await b.pause(500);
    await b.saveScreenshot(join(shots, 'desktop-journey-approved-1024.png'));

    // What the workspace recorded, by name.
    const approved = await invoke(b, 'item', { id: planned });
    const by = (reason) => approved.detail.history.find((h) => h.reason?.startsWith(reason))?.actor;
    assert.equal(by('ops: first free night'), 'Dana Ops');
    assert.equal(by('CAB 24 Nov: approved'), 'Carla CAB');
    const exception = (await invoke(b, 'item', { id: waiting.id })).exceptions[0];
    assert.deepEqual([exception.state, exception.requested_by, exception.decided_by], ['approved', 'Sam Sec', 'Carla CAB']);
  } finally {
    await b.deleteSession();
  }
});

test('a calendar feed from a slow server shows its progress; Cancel stops it at once and changes nothing', async () => {
  const { createServer } = await import('node:http');
  // Loopback only: 40,000 bytes announced, 1,000 every 250 ms (10 s in all), unless the app hangs up.
  let sent = 0;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/calendar', 'Content-Length': 40000 });
    const timer = setInterval(() => {
      if (sent >= 40000 || res.destroyed) return clearInterval(timer), res.end();
      res.write('X'.repeat(1000));
      sent += 1000;
    }, 250);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}/ops.ics`;
  const b = await launch(['--demo']);
  try {
    await (await b.$('button=Windows')).click();
    await (await b.$('tr[data-window-id]')).waitForDisplayed({ timeout: 20000 });
    const before = (await invoke(b, 'windows', null)).length;
    await (await b.$('input[aria-label="iCalendar file or URL"]')).setValue(url);
    await (await b.$('button=Import calendar')).click();
    // The shell's progress events: bytes as they arrive, against the announced size.
    await b.waitUntil(async () => /: [1-9][\d.]* KB of 39\.1 KB/.test(await textOf(b, '[data-testid="download"]')), {
      timeout: 10000,
      timeoutMsg: 'no progress shown',
    });
    assert.match(await textOf(b, '[data-testid="download"]'), new RegExp(`Downloading ${url.replace(/[.]/g, '\\.')}`));
    await b.saveScreenshot(join(shots, 'desktop-windows-downloading.png'));
    // The workspace is not held meanwhile: the board answers.
    assert.ok((await invoke(b, 'windows', null)).length === before);
    const cancelledAt = Date.now();
    await (await (await b.$('[data-testid="download"]')).$('button=Cancel')).click();
    const said = await textOf(b, '[data-testid="import-cancelled"]', 5000);
    assert.ok(Date.now() - cancelledAt < 3000, `cancel took ${Date.now() - cancelledAt} ms`);
    assert.match(said, /Download of .*ops\.ics cancelled; nothing was changed\./);
    await b.saveScreenshot(join(shots, 'desktop-windows-download-cancelled.png'));
    assert.ok(sent < 40000, `the whole feed was sent (${sent} bytes) before the cancel`);
    assert.equal((await invoke(b, 'windows', null)).length, before);
    assert.equal(await (await b.$('[data-testid="download"]')).isExisting(), false);
  } finally {
    await b.deleteSession();
    server.close();
  }
});

test('a source added in the app is tested and synced on a thread of its own while the board answers', async () => {
  // The shell's path: the table command starts the job, which reopens the workspace; the
  // credentials go to the real keyring (the suite runs under scripts/with-keyring.sh).
  const server = await dojo(root);
  server.behave.pageDelay = 1500;
  const b = await launch(['--demo']);
  try {
    await (await b.$('button=Sources')).click();
    await (await b.$('h2=No sources yet')).waitForDisplayed({ timeout: 20000 });
    const before = (await invoke(b, 'overview', null)).counts.open_findings;
    await (await b.$('select[aria-label="Kind"]')).selectByVisibleText('DefectDojo');
    await (await b.$('input[aria-label="Name"]')).setValue('Dojo');
    await (await b.$('input[aria-label="API address"]')).setValue(server.base);
    await (await b.$('input[aria-label="API token"]')).setValue(TOKEN);
    await (await b.$('button=Add and test')).click();
    await b.waitUntil(async () => /Reachable/.test(await textOf(b, 'article[aria-label="Dojo"]')), {
      timeout: 15000,
      timeoutMsg: 'the test never answered',
    });
    await (await b.$('button=Sync now')).click();
    await b.waitUntil(async () => /Syncing/.test(await textOf(b, 'article[aria-label="Dojo"]')), { timeout: 10000 });
    // While the sync waits on DefectDojo, the workspace answers.
    const started = Date.now();
    await invoke(b, 'windows', null);
    assert.ok(Date.now() - started < 1000, `the board waited ${Date.now() - started} ms`);
    await b.saveScreenshot(join(shots, 'desktop-sources-syncing.png'));
    await b.waitUntil(async () => /2 pages, 5 findings: 5 new/.test(await textOf(b, 'article[aria-label="Dojo"]')), {
      timeout: 20000,
      timeoutMsg: 'the sync never ended',
    });
    assert.equal((await invoke(b, 'overview', null)).counts.open_findings, before + 2);
    await b.saveScreenshot(join(shots, 'desktop-sources-done.png'));
  } finally {
    await b.deleteSession();
    server.close();
  }
});

test('a file that is not a workspace gives a clear message and is left alone', async () => {
  const bogus = join(home, 'notes.truce');
  const content = 'meeting notes, not a database\n'.repeat(100);
  writeFileSync(bogus, content);
  const b = await launch(['--workspace', bogus]);
  try {
    const alert = await textOf(b, '[role="alert"]', 20000);
    assert.match(alert, /notes\.truce: not a Truce workspace/);
    assert.ok(await (await b.$('button=Open demo workspace')).isDisplayed());
    await b.saveScreenshot(join(shots, 'desktop-error.png'));
  } finally {
    await b.deleteSession();
  }
  const { readFileSync } = await import('node:fs');
  assert.equal(readFileSync(bogus, 'utf8'), content);
});

await runAll('desktop', {
  before: async () => {
    assert.ok(existsSync(app), `build the app first: ${app}`);
    const bin = [join(process.env.HOME ?? '', '.cargo/bin/tauri-driver'), 'tauri-driver'].find((p) => p === 'tauri-driver' || existsSync(p));
    driver = spawn(bin, ['--port', String(PORT), '--native-driver', '/usr/bin/WebKitWebDriver'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(PORT);
  },
  after: async () => {
    driver?.kill();
    rmSync(home, { recursive: true, force: true });
  },
});
