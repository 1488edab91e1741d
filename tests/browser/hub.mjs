// The team hub in the header, on the real core through the bridge: connecting, the state at a
// glance, and a conflict between two laptops settled in one click. The second laptop is a real
// workspace file written by the CLI; its changes reach the bridge's workspace as a hub delivers
// them (`truce test-merge`, a test-bridge build's tool: the network part is tested in Rust).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, test } from '../lib/harness.mjs';

export function registerHubTests(ctx) {
  const truce = (file, now, ...args) =>
    execFileSync(join(process.env.CARGO_TARGET_DIR ?? join(ctx.root, 'target'), 'debug/truce'), ['--workspace', file, ...args], {
      env: { ...process.env, TRUCE_NOW: now },
      encoding: 'utf8',
    });

  test('a workspace is connected to a hub from the header, which then says what waits', async () => {
    const page = await ctx.page();
    const state = page.getByRole('button', { name: 'Not shared' });
    await state.click();
    const panel = page.getByRole('region', { name: 'Team hub' });
    await panel.getByLabel('Hub address').fill('ftp://hub.example');
    await panel.getByRole('button', { name: 'Connect' }).click();
    await panel.getByRole('alert').filter({ hasText: "'ftp://hub.example' is not a hub address" }).waitFor();
    await panel.getByLabel('Hub address').fill('https://hub.example:7878/');
    await panel.getByRole('button', { name: 'Connect' }).click();
    const status = await ctx.bridge.invoke('hub_status', {});
    assert.equal(status.url, 'https://hub.example:7878');
    assert.ok(status.waiting > 100, `the demo's changes wait to be pushed: ${status.waiting}`);
    await page.getByRole('button', { name: new RegExp(`^${status.waiting.toLocaleString('en')} to sync$`) }).waitFor();
    assert.match(await panel.innerText(), new RegExp(`workspace ${status.workspace_id}`));
    await page.screenshot({ path: join(ctx.shots, 'browser-hub-connected.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-hub-connected-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.close();
  });

  test('two laptops give one item different ops owners offline; one click settles it', async () => {
    const page = await ctx.page();
    const a = ctx.bridge.file;
    const b = join(mkdtempSync(join(tmpdir(), 'truce-laptop-b-')), 'b.truce');
    // Bob's laptop joins Alice's workspace (as from a hub), then both work offline.
    truce(b, '2026-11-24T09:05:00Z', 'test-merge', '--from', a);
    const board = await ctx.bridge.invoke('board', { from: '2026-11-23', to: '2027-01-31' });
    const item = board.items.find((i) => i.state === 'backlog');
    // Two people who may own it (an approver may not own what they approve), neither its owner now.
    const now = (await ctx.bridge.invoke('item', { id: item.id })).detail.item;
    const people = (await ctx.bridge.invoke('session', {})).people.filter(
      (p) => p.id !== now.approver?.id && p.id !== now.ops_owner?.id,
    );
    const [first, second] = [people[0], people[1]];
    await ctx.bridge.invoke('assign', { id: item.id, ops_owner: first.id, security_owner: null, approver: null, reason: 'Alice: mine' });
    truce(b, '2026-11-24T10:00:00Z', 'items', 'assign', item.id, '--ops', second.id, '--reason', 'Bob: mine');
    // Bob's change reaches Alice's laptop: it is later, so kept; hers waits as a conflict.
    truce(a, '2026-11-24T10:05:00Z', 'test-merge', '--from', b);
    await page.reload();
    const state = page.getByRole('button', { name: '1 conflict' });
    await state.waitFor();
    await state.click();
    const panel = page.getByRole('region', { name: 'Team hub' });
    const conflict = panel.getByRole('listitem');
    await conflict.filter({ hasText: 'ops owner' }).waitFor();
    const text = await conflict.innerText();
    // Which item, as people know it: its title, not its id.
    assert.ok(text.startsWith(`work item “${item.title}” ops owner`), text);
    assert.match(text, new RegExp(`Kept: .*\\n${second.name}\\n`), text);
    assert.match(text, new RegExp(`Set aside: .*\\n${first.name}\\n`), text);
    await page.screenshot({ path: join(ctx.shots, 'browser-hub-conflict.png') });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ctx.shots, 'browser-hub-conflict-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
    await conflict.getByRole('button', { name: 'Use this instead' }).click();
    await page.getByRole('button', { name: / to sync$/ }).waitFor();
    assert.deepEqual(await ctx.bridge.invoke('hub_conflicts', {}), []);
    const stored = await ctx.bridge.invoke('item', { id: item.id });
    assert.equal(stored.detail.item.ops_owner?.id, first.id, JSON.stringify(stored.detail.item));
    await page.close();
  });
}
