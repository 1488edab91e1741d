// The board's speed in Chromium with 10,000 work items and ~500 occurrences, against the real
// core (release build) through the bridge. Not part of `make test`: run it by hand and record
// the figures in BENCHMARKS.md.
//
//   cargo build --release -p truce-cli -p truce-bench --features truce-cli/test-bridge && (cd ui && npm run build)
//   node tests/browser/bench-board.mjs [--runs 5]
//
// Measured in the page (performance.now, requestAnimationFrame), so Playwright's own latency
// is not counted:
// - first paint: click on "Board" until the first card is on screen (the core reads 10,000
//   cards, the page draws the backlog and the week);
// - filter: a keystroke's input event until the backlog's count shows the new result, painted;
// - scroll: frame times while the backlog scrolls 150 frames (a frame over 25 ms is dropped);
// - drop: the drop event until the card is drawn on its occurrence, the change committed to
//   SQLite in between.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { waitForPort } from '../lib/harness.mjs';
import { installBridgedBackend, startBridge } from './bridge.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;
const PORT = Number(process.env.UI_PORT ?? 4373);
const NOW = '2026-11-24T09:00:00Z';

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v) => `median ${median(v).toFixed(0)} ms (min ${Math.min(...v).toFixed(0)}, max ${Math.max(...v).toFixed(0)})`;

const BRIDGE_PORT = PORT + 1;
const BRIDGE = `http://127.0.0.1:${BRIDGE_PORT}`;

// The page may fetch from the bridge (see ui/vite.config.ts): the app's own IPC moves the board's
// JSON in one request too.
const server = spawn(process.execPath, [join(root, 'ui/node_modules/vite/bin/vite.js'), 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
  cwd: join(root, 'ui'),
  env: { ...process.env, TRUCE_BRIDGE_ORIGIN: BRIDGE },
  stdio: ['ignore', 'ignore', 'inherit'],
});
await waitForPort(PORT);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const results = { paint: [], board: [], filter: [], frames: [], dropped: 0, scrolled: 0, drop: [], planShown: [], planClosed: [] };
const dir = mkdtempSync(join(tmpdir(), 'truce-bench-board-'));
try {
  for (let run = 0; run < runs; run++) {
    const workspace = join(dir, `board-${run}.truce`);
    execFileSync(join(target, 'release/bench-board-workspace'), ['--out', workspace], { stdio: 'inherit' });
    const bridge = await startBridge(root, NOW, { workspace, profile: 'release', port: BRIDGE_PORT });
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('crash', () => console.error('the page crashed'));
    page.on('pageerror', (e) => console.error(`page error: ${e}`));
    await page.addInitScript(installBridgedBackend, BRIDGE);
    await page.goto(`http://127.0.0.1:${PORT}/`);
    await page.getByRole('button', { name: 'Board', exact: true }).waitFor();

    // First paint.
    const paint = await page.evaluate(async () => {
      const button = [...document.querySelectorAll('nav.views button')].find((b) => b.textContent === 'Board');
      const t0 = performance.now();
      button.click();
      while (!document.querySelector('.backlog [data-item-id]')) await new Promise(requestAnimationFrame);
      await new Promise(requestAnimationFrame);
      return performance.now() - t0;
    });
    results.paint.push(paint);
    const t = performance.now();
    await bridge.invoke('board', { from: '2026-11-23', to: '2026-11-30' });
    results.board.push(performance.now() - t);

    // Filtering: a keystroke at a time, "component 7" then back to nothing.
    const filter = await page.evaluate(async () => {
      const input = document.querySelector('input[aria-label="Filter work items"]');
      const count = document.querySelector('[data-testid=backlog-count]');
      const times = [];
      const painted = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      const counts = [];
      for (const text of ['u', 'up', 'upgrade component 7', 'group 12', 'group 123', 'host group 1234', 'no such item', '']) {
        await painted();
        const t0 = performance.now();
        input.value = text;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        // Svelte updates the DOM before the next frame; the frame after that is on screen.
        await painted();
        times.push(performance.now() - t0);
        counts.push(`${text || '(empty)'}: ${count.textContent}`);
      }
      return { times, counts };
    });
    results.filter.push(...filter.times);
    if (run === 0) console.log(filter.counts.join('; '));

    // Scrolling the backlog.
    const scroll = await page.evaluate(async () => {
      const list = document.querySelector('.backlog .list');
      const scroller = [...list.querySelectorAll('div')].find((d) => d.scrollHeight > d.clientHeight + 100);
      const frames = [];
      let last = await new Promise(requestAnimationFrame);
      for (let i = 0; i < 150; i++) {
        scroller.scrollTop += 240;
        const now = await new Promise(requestAnimationFrame);
        frames.push(now - last);
        last = now;
      }
      return { frames, top: scroller.scrollTop };
    });
    results.frames.push(...scroll.frames);
    results.scrolled = scroll.top;

    // Drops: low-severity items (due in April 2027) onto this week's windows, one at a time.
    const board = await bridge.invoke('board', { from: '2026-11-23', to: '2026-11-30' });
    const maint = board.occurrences.filter((o) => o.kind === 'maintenance');
    const candidates = board.items.filter((i) => i.window_id === null && i.severity === 'low').slice(0, 5);
    for (const [n, item] of candidates.entries()) {
      const o = maint[n % maint.length];
      const key = `${o.window_id}@${o.start_utc}`;
      await page.evaluate(() => {
        const input = document.querySelector('input[aria-label="Filter work items"]');
        input.value = '';
        input.dispatchEvent(new Event('input', { bubbles: true }));
      });
      await page.getByLabel('Filter work items').fill(item.title);
      await page.locator(`.backlog [data-item-id="${item.id}"]`).waitFor();
      const ms = await page.evaluate(async ({ id, key }) => {
        const card = document.querySelector(`.backlog [data-item-id="${id}"]`);
        const occ = document.querySelector(`[data-occurrence="${key}"]`);
        const dt = new DataTransfer();
        card.dispatchEvent(new DragEvent('dragstart', { bubbles: true, dataTransfer: dt }));
        // The verdicts arrive while the pointer travels; the drop comes after them.
        const asked = performance.now();
        while (occ.dataset.verdict !== 'allowed') {
          if (performance.now() - asked > 5000) throw new Error(`the drop target says ${occ.dataset.verdict}: ${occ.innerText}`);
          await new Promise(requestAnimationFrame);
        }
        occ.dispatchEvent(new DragEvent('dragover', { bubbles: true, cancelable: true, dataTransfer: dt }));
        const t0 = performance.now();
        occ.dispatchEvent(new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: dt }));
        while (!occ.querySelector(`[data-item-id="${id}"]`)) await new Promise(requestAnimationFrame);
        await new Promise(requestAnimationFrame);
        const ms = performance.now() - t0;
        card.dispatchEvent(new DragEvent('dragend', { bubbles: true, dataTransfer: dt }));
        return ms;
      }, { id: item.id, key });
      const stored = (await bridge.invoke('cards', { ids: [item.id] }))[0];
      if (stored.occurrence_start !== o.start_utc) throw new Error(`drop of ${item.id} not stored`);
      results.drop.push(ms);
    }
    // The auto-plan's proposal for every unplaced item: shown, then closed (before its list was
    // virtualized, closing a proposal of thousands froze the page for seconds).
    await page.evaluate(() => {
      const input = document.querySelector('input[aria-label="Filter work items"]');
      input.value = '';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    const plan = await page.evaluate(async () => {
      const frame = () => new Promise(requestAnimationFrame);
      const button = [...document.querySelectorAll('button')].find((b) => b.textContent === 'Auto-plan');
      const t0 = performance.now();
      button.click();
      while (!document.querySelector('aside.proposal [data-proposal]')) {
        if (performance.now() - t0 > 60000) throw new Error('no proposal after 60 s');
        await frame();
      }
      await frame();
      const shown = performance.now() - t0;
      const entries = document.querySelector('aside.proposal strong').textContent;
      const close = [...document.querySelectorAll('aside.proposal button')].find((b) => b.textContent === 'Close');
      const t1 = performance.now();
      close.click();
      while (document.querySelector('aside.proposal')) await frame();
      await frame();
      return { shown, closed: performance.now() - t1, entries };
    });
    results.planShown.push(plan.shown);
    results.planClosed.push(plan.closed);
    if (run === 0) console.log(plan.entries);
    await page.close();
    await bridge.stopped();
    console.log(`run ${run + 1}: first paint ${paint.toFixed(0)} ms; filter ${fmt(filter.times)}; drop ${fmt(results.drop.slice(-candidates.length))}`);
  }
} finally {
  await browser.close();
  server.kill();
}
const frames = results.frames;
const dropped = frames.filter((f) => f > 25).length;
console.log(`\n${runs} runs, 10,000 work items, ${'~500'} occurrences (bench-board-workspace):`);
console.log(`first paint of the board      ${fmt(results.paint)}   (core's board answer alone: ${fmt(results.board)})`);
console.log(`filter, keystroke to painted  ${fmt(results.filter)}`);
console.log(`scroll, frame time            median ${median(frames).toFixed(1)} ms, max ${Math.max(...frames).toFixed(1)} ms, ${dropped} of ${frames.length} frames over 25 ms`);
console.log(`drop, persisted and drawn     ${fmt(results.drop)}`);
console.log(`auto-plan proposal shown      ${fmt(results.planShown)}; closed ${fmt(results.planClosed)}`);
