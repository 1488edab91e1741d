// The browser tests' link to the real core: `truce serve-ui` (crates/truce-cli/src/serve.rs)
// answers the page's `invoke` calls with `truce_facade::commands::dispatch`, the table the
// desktop shell serves, on a real SQLite file. Nothing here knows what a command answers.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Starts the bridge with the clock fixed at `now`: on a fresh demo workspace, or on `workspace`
 * (the benchmark's), with the `profile` build of `truce`, on `port` (0: any free one).
 */
export async function startBridge(root, now, { workspace, profile = 'debug', port = 0 } = {}) {
  const target = process.env.CARGO_TARGET_DIR ?? join(root, 'target');
  const file = workspace ?? join(mkdtempSync(join(tmpdir(), 'truce-bridge-')), 'demo.truce');
  const args = ['--workspace', file, 'serve-ui', '--port', String(port), ...(workspace ? [] : ['--demo'])];
  const child = spawn(join(target, `${profile}/truce`), args, {
    env: { ...process.env, TRUCE_NOW: now },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      // The URL ends with the bridge's token: every path under it, nothing else, is answered.
      const m = /listening on (http:\/\/[\d.:]+\/[0-9a-f]{32})/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`truce serve-ui exited with ${code}`)));
  });
  const post = async (path, body) => {
    const r = await fetch(url + path, { method: 'POST', body: JSON.stringify(body ?? null) });
    const v = await r.json();
    if (!r.ok) {
      // The core's {code, message, facts}, as the shell rejects an invoke with it.
      const e = v?.error;
      const err = new Error(typeof e === 'string' ? e : e?.message ?? `HTTP ${r.status}`);
      if (e && typeof e === 'object') Object.assign(err, { code: e.code, facts: e.facts });
      throw err;
    }
    return v;
  };
  return {
    /** The workspace file it serves (the CLI may write it meanwhile, as beside the app). */
    file,
    /** Answers one `invoke` as the app would: the value, or throws the backend's message. */
    invoke: (cmd, args) => post(`/invoke/${cmd}`, args),
    /** Back to a fresh demo workspace (each test starts from the same state). */
    reset: () => post('/reset'),
    stop: () => child.kill(),
    /** Stops it and waits until it is gone (its port free again). */
    stopped: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', r), child.kill()))),
  };
}

/**
 * Runs in the page before the app: Tauri's IPC hooks, with every command sent to the bridge
 * through `window.__truceInvoke` (a Playwright binding, so the page's CSP is untouched), or,
 * given the bridge's URL (the benchmark, whose page's CSP allows it), fetched from it directly.
 */
export function installBridgedBackend(bridgeUrl) {
  const viaBinding = (cmd, args) => window.__truceInvoke(cmd, args);
  const viaFetch = async (cmd, args) => {
    const r = await fetch(`${bridgeUrl}/invoke/${cmd}`, { method: 'POST', body: JSON.stringify(args) });
    const v = await r.json();
    return r.ok ? { ok: v } : { error: v.error };
  };
  const table = bridgeUrl ? viaFetch : viaBinding;
  // The bridge serves the command table only. The shell's `app_status` is the table's overview
  // with the open file as the one recent workspace, as the shell answers it.
  const send = async (cmd, args) => {
    if (cmd !== 'app_status') return table(cmd, args);
    const o = await table('overview', null);
    return o.error !== undefined
      ? { ok: { workspace: null, recent: [], error: o.error.message ?? String(o.error) } }
      : { ok: { workspace: o.ok, recent: [o.ok.path], error: null } };
  };
  const callbacks = new Map();
  const listeners = new Map();
  let nextId = 1;
  window.__calls = [];
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener() {} };
  window.__TAURI_INTERNALS__ = {
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    transformCallback(cb) {
      const id = nextId++;
      callbacks.set(id, cb);
      return id;
    },
    unregisterCallback(id) {
      callbacks.delete(id);
    },
    async invoke(cmd, args) {
      window.__calls.push({ cmd, args });
      if (cmd === 'plugin:event|listen') {
        listeners.set(args.event, [...(listeners.get(args.event) ?? []), args.handler]);
        return nextId++;
      }
      if (cmd === 'plugin:event|unlisten') return null;
      const answer = await send(cmd, args ?? null);
      if (answer.error !== undefined) throw answer.error;
      return answer.ok;
    },
  };
}

/** Opens a page whose backend is `bridge`; `options` are further Playwright context options. */
export async function bridgedPage(browser, bridge, url, consoleErrors, viewport = { width: 1280, height: 800 }, options = {}) {
  const page = await browser.newPage({ ...options, viewport });
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.exposeFunction('__truceInvoke', async (cmd, args) => {
    try {
      return { ok: await bridge.invoke(cmd, args) };
    } catch (e) {
      return { error: e.code ? { code: e.code, message: e.message, facts: e.facts } : String(e.message ?? e) };
    }
  });
  await page.addInitScript(installBridgedBackend);
  await page.goto(url);
  return page;
}
