// The browser tests' backend: replays answers recorded from the real core
// (`truce ui-fixture`, see crates/truce-facade/src/ui_fixture.rs). A query that was not
// recorded is an error, so the fake can never invent data.
export function installFakeBackend(fixture) {
  const key = (q) => JSON.stringify([q.offset, q.limit, q.text ?? null, [...q.severities].sort(), q.include_closed]);
  const pages = new Map(fixture.findings.map((f) => [key(f.query), f.page]));
  let status = fixture.welcome;
  let imported = false;
  const callbacks = new Map();
  const listeners = new Map(); // event name -> callback ids
  let nextId = 1;
  const emit = (event, payload) => {
    for (const id of listeners.get(event) ?? []) callbacks.get(id)?.({ event, id: 0, payload });
  };
  window.__fakeCalls = [];
  window.__fakeEmit = emit;
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
      window.__fakeCalls.push({ cmd, args });
      switch (cmd) {
        case 'app_status':
          return status;
        case 'open_demo':
          status = fixture.open_demo;
          return status;
        case 'choose_and_import': {
          // Replays what the real core emitted and returned for this import.
          for (const p of fixture.import.progress) emit('import-progress', p);
          await new Promise((r) => setTimeout(r, 300)); // long enough to see the progress bar
          emit('import-finished', fixture.import.outcomes);
          status = fixture.import.status_after;
          imported = true;
          emit('workspace-changed', status);
          return fixture.import.outcomes;
        }
        case 'findings': {
          if (imported) {
            if (key(args.query) === key(fixture.import.findings_after.query)) return fixture.import.findings_after.page;
            throw new Error(`no recorded answer after the import for findings ${key(args.query)}`);
          }
          const page = pages.get(key(args.query));
          if (!page) throw new Error(`no recorded answer for findings ${key(args.query)}`);
          return page;
        }
        case 'session':
          return fixture.session;
        case 'hub_status':
          return fixture.hub_status;
        case 'sources':
          return fixture.sources;
        case 'plugin:event|listen': {
          listeners.set(args.event, [...(listeners.get(args.event) ?? []), args.handler]);
          return nextId++;
        }
        case 'plugin:event|unlisten':
          return null;
        default:
          throw new Error(`the fake backend has no command ${cmd}`);
      }
    },
  };
}
